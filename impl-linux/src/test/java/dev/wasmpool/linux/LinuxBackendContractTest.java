package dev.wasmpool.linux;

import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.contract.BackendContractTest;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The backend contract, run against the Linux backend. */
@EnabledOnOs(OS.LINUX)
class LinuxBackendContractTest extends BackendContractTest {

  @Override
  protected BackendProvider provider() {
    return new LinuxBackendProvider();
  }
}
