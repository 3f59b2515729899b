package dev.wasmpool.samples.counting;

import dev.wasmpool.portable.PortableBackendProvider;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.contract.BackendContractTest;
import org.junit.jupiter.api.Nested;

/** The counting backend passes the SPI contract suite over either real backend it may wrap. */
class CountingBackendContractTest {

  /** Over the portable backend, on any OS. */
  @Nested
  class OverPortable extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
      return new CountingBackendProvider(new PortableBackendProvider());
    }
  }

  /** Over the backend automatic selection would wrap: linux on Linux, portable elsewhere. */
  @Nested
  class OverBestBackend extends BackendContractTest {
    @Override
    protected BackendProvider provider() {
      return new CountingBackendProvider();
    }
  }
}
