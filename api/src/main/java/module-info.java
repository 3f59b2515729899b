/**
 * wasmpool's public configuration API and its pooling engine.
 *
 * <p>Users configure an engine with {@link dev.wasmpool.api.EngineConfig} and {@link
 * dev.wasmpool.api.PoolingAllocationConfig}; a runtime binding (such as {@code
 * dev.wasmpool.chicory}) registers modules with it and allocates instances from its pools. The
 * engine finds its memory backend with {@link java.util.ServiceLoader}.
 */
module dev.wasmpool.api {
  requires transitive dev.wasmpool.spi;
  requires jdk.jfr;
  // Transitive, not static: the exported signatures carry Checker type annotations, and a consumer
  // that reads this module must read their module too (Kotlin rejects a type whose annotation class
  // is inaccessible). checker-qual holds annotations only and is a compile-scope dependency.
  requires transitive org.checkerframework.checker.qual;

  exports dev.wasmpool.api;
  exports dev.wasmpool.api.binding;

  uses dev.wasmpool.spi.BackendProvider;
}
