package dev.wasmpool.chicory;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.testkit.Backends;
import java.util.List;
import java.util.function.Consumer;

/** Engines for the binding's tests, on each backend this OS has. */
final class Pools {

  static final long PAGE = 65536;

  private Pools() {}

  /**
   * The protection-key mode the binding's tests run with on a backend: {@code DISABLE}, or on the
   * {@code linux} backend the value of the system property {@code
   * wasmpool.test.memoryProtectionKeys} ({@code scripts/mpk-emulator.sh} runs the scenario and spec
   * tests with {@code ENABLE} on emulated PKU hardware; the portable backend has no keys).
   */
  static MemoryProtectionKeys memoryProtectionKeys(String backend) {
    if (!backend.equals("linux")) {
      return MemoryProtectionKeys.DISABLE;
    }
    return MemoryProtectionKeys.valueOf(
        System.getProperty("wasmpool.test.memoryProtectionKeys", MemoryProtectionKeys.DISABLE.name()));
  }

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
            .totalStacks(1)
            .memoryProtectionKeys(memoryProtectionKeys(backend));
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
