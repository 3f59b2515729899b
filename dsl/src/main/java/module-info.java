/** Kotlin DSL for wasmpool's engine and pooling configuration. */
module dev.wasmpool.dsl {
  requires transitive dev.wasmpool.api;
  requires transitive kotlin.stdlib;
  // Transitive, not static: the exported signatures carry Checker type annotations, and a consumer
  // that reads this module must read their module too (Kotlin rejects a type whose annotation class
  // is inaccessible). checker-qual holds annotations only and is a compile-scope dependency.
  requires transitive org.checkerframework.checker.qual;

  exports dev.wasmpool.dsl;
}
