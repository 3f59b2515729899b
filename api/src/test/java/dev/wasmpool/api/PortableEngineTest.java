package dev.wasmpool.api;

/** The engine contract on the portable backend (no native calls). */
class PortableEngineTest extends EngineContractTest {

  @Override
  String backend() {
    return "portable";
  }
}
