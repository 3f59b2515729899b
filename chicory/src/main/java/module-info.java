/**
 * Chicory binding: Chicory instances whose linear memories and tables come from a wasmpool
 * engine's pools.
 */
module dev.wasmpool.chicory {
  requires transitive dev.wasmpool.api;
  requires transitive com.dylibso.chicory.runtime;
  requires transitive com.dylibso.chicory.wasm;
  // Transitive, not static: the exported signatures carry Checker type annotations, and a consumer
  // that reads this module must read their module too (Kotlin rejects a type whose annotation class
  // is inaccessible). checker-qual holds annotations only and is a compile-scope dependency.
  requires transitive org.checkerframework.checker.qual;
  // Optional: only PooledWasmModule.Builder.withCompiler() uses Chicory's runtime compiler.
  requires static com.dylibso.chicory.compiler;

  exports dev.wasmpool.chicory;
}
