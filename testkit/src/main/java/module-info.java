/**
 * Support for wasmpool's tests, benchmarks and samples: a WebAssembly binary writer ({@link
 * dev.wasmpool.testkit.WasmBuilder}, {@link dev.wasmpool.testkit.Code}) and a small JSON reader
 * ({@link dev.wasmpool.testkit.Json}). The published libraries use it in test scope only.
 */
module dev.wasmpool.testkit {
  requires transitive com.dylibso.chicory.wasm;
  requires static org.checkerframework.checker.qual;

  exports dev.wasmpool.testkit;
}
