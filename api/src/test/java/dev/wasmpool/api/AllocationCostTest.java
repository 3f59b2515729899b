package dev.wasmpool.api;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.PooledModule;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Prints what one allocation costs, for the record (a rough {@code System.nanoTime} loop, not a
 * benchmark: JMH figures live in {@code bench/}). Asserts only behaviour: every iteration reuses
 * the same warm slot.
 */
class AllocationCostTest {

  private static final int WARMUP = 10_000;
  private static final int ROUNDS = 50_000;

  private static void report(String what, long nanos) {
    System.out.println(
        String.format(Locale.ROOT, "[cost] %-58s %8.0f ns/op", what, nanos / (double) ROUNDS));
  }

  @Test
  void arena_sharedAndConfined_createAndClose() {
    for (int i = 0; i < WARMUP; i++) {
      Arena.ofShared().close();
      Arena.ofConfined().close();
    }
    long start = System.nanoTime();
    for (int i = 0; i < ROUNDS; i++) {
      Arena.ofShared().close();
    }
    report("Arena.ofShared() + close()", System.nanoTime() - start);
    start = System.nanoTime();
    for (int i = 0; i < ROUNDS; i++) {
      Arena.ofConfined().close();
    }
    report("Arena.ofConfined() + close() (for comparison)", System.nanoTime() - start);
    Arena arena = Arena.ofShared();
    arena.close();
    assertEquals(false, arena.scope().isAlive());
  }

  private static void allocateAndClose(String backend, long keepResident) {
    EngineConfig config =
        EngineConfig.builder()
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder()
                        .totalMemories(10)
                        .totalTables(10)
                        .totalCoreInstances(10)
                        .maxMemorySize(1L << 20)
                        .linearMemoryKeepResident(keepResident)
                        .build()))
            .memoryReservation(1L << 20)
            .backend(backend)
            .build();
    try (Engine engine = Engine.create(config)) {
      PooledModule module = engine.register(withMemory("small", 1, -1, data(0, "0123456789abcdef")));
      for (int i = 0; i < WARMUP; i++) {
        try (InstanceAllocation a = module.allocate()) {
          a.memories().get(0).segment().set(ValueLayout.JAVA_BYTE, 100, (byte) 1);
        }
      }
      long start = System.nanoTime();
      for (int i = 0; i < ROUNDS; i++) {
        try (InstanceAllocation a = module.allocate()) {
          a.memories().get(0).segment().set(ValueLayout.JAVA_BYTE, 100, (byte) 1);
        }
      }
      report(
          backend + ": allocate+write+close, 1 page, image, keep " + (keepResident >> 10) + " KiB",
          System.nanoTime() - start);
      PoolMetrics metrics = engine.metrics();
      assertEquals(1, metrics.unusedWarmMemories(), "every allocation reused the affine slot");
      assertEquals(0, metrics.memories());
    }
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void allocateAndClose_linux() {
    allocateAndClose("linux", 0);
    allocateAndClose("linux", 65536);
  }

  @Test
  void allocateAndClose_portable() {
    allocateAndClose("portable", 0);
    allocateAndClose("portable", 65536);
  }
}
