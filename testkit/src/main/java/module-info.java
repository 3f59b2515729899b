/**
 * Support for wasmpool's tests, benchmarks and samples: a WebAssembly binary writer ({@link
 * dev.wasmpool.testkit.WasmBuilder}, {@link dev.wasmpool.testkit.Code}), a small JSON reader
 * ({@link dev.wasmpool.testkit.Json}) and the host side of emscripten's QuickJS build ({@link
 * dev.wasmpool.testkit.EmscriptenQuickJs}). The published libraries use it in test scope only.
 */
module dev.wasmpool.testkit {
  requires transitive com.dylibso.chicory.wasm;
  requires transitive com.dylibso.chicory.runtime;
  requires static org.checkerframework.checker.qual;

  exports dev.wasmpool.testkit;
}
