package dev.wasmpool.chicory;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.testkit.Backends;
import java.util.List;
import java.util.function.Consumer;

/** Engines for the binding's tests, on each backend this OS has. */
final class Pools {

  static final long PAGE = 65536;

  private Pools() {}

  /** The backends to run on: {@code "linux"} on Linux, {@code "portable"} everywhere. */
  static List<String> backends() {
    return Backends.onThisOs();
  }

  /**
   * The base configuration of Wasmtime's pooling tests: one memory of at most 64 KiB, one table
   * of 10 elements, a 64 KiB reservation without guard; {@code pool} and {@code engine} adjust it.
   */
  static Engine engine(
      String backend,
      Consumer<PoolingAllocationConfig.Builder> pool,
      Consumer<EngineConfig.Builder> engine) {
    PoolingAllocationConfig.Builder p =
        PoolingAllocationConfig.builder()
            .totalMemories(1)
            .maxMemorySize(PAGE)
            .totalTables(1)
            .tableElements(10)
            .totalStacks(1);
    pool.accept(p);
    EngineConfig.Builder e =
        EngineConfig.builder()
            .backend(backend)
            .memoryReservation(PAGE)
            .memoryGuardSize(0)
            .allocationStrategy(AllocationStrategy.pooling(p.build()));
    engine.accept(e);
    return Engine.create(e.build());
  }

  static Engine engine(String backend, Consumer<PoolingAllocationConfig.Builder> pool) {
    return engine(backend, pool, e -> {});
  }

  static Engine engine(String backend) {
    return engine(backend, p -> {}, e -> {});
  }
}
