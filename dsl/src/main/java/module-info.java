/** Kotlin DSL for wasmpool's engine and pooling configuration. */
module dev.wasmpool.dsl {
  requires transitive dev.wasmpool.api;
  requires transitive kotlin.stdlib;
  requires static org.checkerframework.checker.qual;

  exports dev.wasmpool.dsl;
}
