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
  requires static org.checkerframework.checker.qual;

  exports dev.wasmpool.api;
  exports dev.wasmpool.api.binding;

  uses dev.wasmpool.spi.BackendProvider;
}
