package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.internal.backend.BackendSelector;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendProvider;

/** Creates engines: picks the backend and the allocation strategy. */
public final class Engines {

  private Engines() {}

  /**
   * Creates an engine on the backend the configuration (or the {@value
   * BackendSelector#PROPERTY} system property) selects.
   *
   * @param config the configuration
   * @return the engine
   * @throws IllegalStateException see {@link Engine#create(EngineConfig)}
   */
  public static Engine create(EngineConfig config) {
    String forced =
        BackendSelector.forcedName(
            config.backend().equals(EngineConfig.AUTO_BACKEND) ? null : config.backend());
    // Forced by name: asked each time. Automatic: the JVM's one decision.
    BackendProvider provider =
        forced != null ? BackendSelector.discover().select(forced) : BackendSelector.automatic();
    return create(config, provider.create());
  }

  /**
   * Creates an engine on a given backend, which the engine then owns (and closes, also when
   * creation fails).
   *
   * @param config the configuration
   * @param backend the backend
   * @return the engine
   * @throws IllegalStateException see {@link Engine#create(EngineConfig)}
   */
  public static Engine create(EngineConfig config, Backend backend) {
    InstanceAllocator allocator;
    try {
      allocator =
          switch (config.allocationStrategy()) {
            case AllocationStrategy.Pooling(var pool) -> new PoolingAllocator(backend, config, pool);
            case AllocationStrategy.OnDemand onDemand -> new OnDemandAllocator(backend, config);
          };
    } catch (RuntimeException e) {
      try {
        backend.close();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return new EngineImpl(config, backend, allocator);
  }
}
