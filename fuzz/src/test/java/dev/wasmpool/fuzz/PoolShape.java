package dev.wasmpool.fuzz;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;
import java.util.SplittableRandom;

/**
 * One random pool configuration: few slots (so that they are reused often), memories of a few
 * pages, and random keep-resident sizes, copy-on-write, decommit batches, guards and warm-slot
 * budgets.
 *
 * @param backend the backend's name
 * @param slots memories, tables and core instances in the pool
 * @param maxPages the largest memory, in 64 KiB pages
 * @param reservationPages each memory slot's reservation, in pages (at least {@code maxPages})
 * @param guardBytes the guard after (and perhaps before) each memory
 * @param guardBefore whether there is a guard before each memory too
 * @param cow whether memories start from copy-on-write images
 * @param memoryKeepResident bytes of each memory reset by writing
 * @param tableElements the largest table
 * @param tableKeepResident bytes of each table reset by writing
 * @param decommitBatch resets gathered per decommit batch
 * @param maxUnusedWarmSlots warm slots kept per pool
 */
record PoolShape(
    String backend,
    int slots,
    int maxPages,
    int reservationPages,
    long guardBytes,
    boolean guardBefore,
    boolean cow,
    long memoryKeepResident,
    int tableElements,
    long tableKeepResident,
    int decommitBatch,
    int maxUnusedWarmSlots) {

  static final int PAGE = 65536;

  static PoolShape random(SplittableRandom r, String backend) {
    int slots = 1 + r.nextInt(4);
    // Mostly a few pages, so that many tenants are scanned; now and then up to 64 (4 MiB).
    int maxPages = r.nextInt(10) == 0 ? 16 + r.nextInt(49) : 1 + r.nextInt(6);
    long[] keep = {0, 4096, 5000, 65536, 3 * 4096, (long) maxPages * PAGE, 1L << 40};
    long[] tableKeep = {0, 4096, 8192, 1L << 30};
    int[] batches = {0, 1, 2, 3, 8};
    return new PoolShape(
        backend,
        slots,
        maxPages,
        maxPages + (r.nextInt(3) == 0 ? r.nextInt(3) : 0),
        new long[] {0, 4096, PAGE, 2 * PAGE}[r.nextInt(4)],
        r.nextBoolean(),
        r.nextBoolean(),
        keep[r.nextInt(keep.length)],
        new int[] {1, 10, 100, 2000}[r.nextInt(4)],
        tableKeep[r.nextInt(tableKeep.length)],
        batches[r.nextInt(batches.length)],
        new int[] {0, 1, 2, 100}[r.nextInt(4)]);
  }

  PoolingAllocationConfig pool() {
    return PoolingAllocationConfig.builder()
        .totalMemories(slots)
        .totalTables(slots)
        .totalCoreInstances(slots)
        .totalStacks(slots)
        .maxMemorySize((long) maxPages * PAGE)
        .tableElements(tableElements)
        .linearMemoryKeepResident(memoryKeepResident)
        .tableKeepResident(tableKeepResident)
        .decommitBatchSize(decommitBatch)
        .maxUnusedWarmSlots(maxUnusedWarmSlots)
        .build();
  }

  EngineConfig engine(String backendName) {
    return EngineConfig.builder()
        .backend(backendName)
        .memoryReservation((long) reservationPages * PAGE)
        .memoryGuardSize(guardBytes)
        .guardBeforeLinearMemory(guardBefore)
        .memoryInitCow(cow)
        .allocationStrategy(AllocationStrategy.pooling(pool()))
        .build();
  }

  EngineConfig engine() {
    return engine(backend);
  }

  /** Fails unless {@code engine} counts no live instance, memory or table. */
  static void assertNothingLive(Engine engine, String where) {
    PoolMetrics metrics = engine.metrics();
    if (metrics.coreInstances() != 0 || metrics.memories() != 0 || metrics.tables() != 0) {
      throw new AssertionError(where + ": live after closing every instance: " + metrics);
    }
  }
}
