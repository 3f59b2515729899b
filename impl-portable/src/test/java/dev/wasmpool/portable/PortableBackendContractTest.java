package dev.wasmpool.portable;

import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.contract.BackendContractTest;

/** The backend contract, run against the portable backend. */
class PortableBackendContractTest extends BackendContractTest {

  @Override
  protected BackendProvider provider() {
    return new PortableBackendProvider();
  }
}
