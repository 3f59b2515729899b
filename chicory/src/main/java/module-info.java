/**
 * Chicory binding: Chicory instances whose linear memories and tables come from a wasmpool
 * engine's pools.
 */
module dev.wasmpool.chicory {
  requires transitive dev.wasmpool.api;
  requires transitive com.dylibso.chicory.runtime;
  requires transitive com.dylibso.chicory.wasm;
  requires static org.checkerframework.checker.qual;
  // Optional: only PooledWasmModule.Builder.withCompiler() uses Chicory's runtime compiler.
  requires static com.dylibso.chicory.compiler;

  exports dev.wasmpool.chicory;
}
