package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.testing.FakeBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, point 2: the warm budget holds over the whole pool, whatever the number of threads.
 * Under the seed's rules a cold slot is taken only while fewer than {@code maxUnusedWarmSlots}
 * slots are warm (or none is), so the slots ever touched never exceed the peak number of live
 * instances plus the budget; when the pool is quiet, every touched slot is warm, so that is also
 * the bound on unused warm slots.
 */
class WarmBudgetHoldsGloballyTest {

  private final FakeBackend backend = FakeBackend.linuxLike();
  private EngineImpl engine;

  @AfterEach
  void close() {
    if (engine != null) {
      closeAndCheck(engine, backend);
    }
  }

  @Test
  void budgetZero_eightThreadServer_thousandSequentialRequests_oneSlot() throws Exception {
    engine = engine(backend, smallPool().totalMemories(16).totalTables(16).totalCoreInstances(16).maxUnusedWarmSlots(0).build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1));
    ExecutorService server = Executors.newFixedThreadPool(8);
    java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try {
      for (int request = 0; request < 1000; request++) {
        server
            .submit(
                () -> {
                  threads.add(Thread.currentThread().getName());
                  module.allocate().close();
                })
            .get();
      }
    } finally {
      server.shutdown();
    }
    assertEquals(8, threads.size(), "the requests ran on all eight threads");
    PoolMetrics m = engine.metrics();
    assertEquals(1, m.counters().memoryColdTakes(), "one memory slot ever used");
    assertEquals(999, m.counters().memoryAffineTakes());
    assertEquals(1, m.unusedWarmMemories());
    assertEquals(1, m.counters().tableColdTakes(), "one table slot ever used");
    assertEquals(1, m.unusedWarmTables());
  }

  @Test
  void budgetZero_twoThreadsOneAfterTheOther_oneSlot() throws Exception {
    engine = engine(backend, smallPool().maxUnusedWarmSlots(0).build());
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "M")));
    Thread.ofPlatform().start(() -> module.allocate().close()).join();
    Thread.ofPlatform().start(() -> module.allocate().close()).join();
    assertEquals(1, engine.metrics().counters().memoryColdTakes());
    assertEquals(1, engine.metrics().unusedWarmMemories());
  }

  @Test
  void sixThreads_boundedConcurrency_touchedAndWarmNeverExceedPeakPlusBudget() throws Exception {
    long seed = new SplittableRandom().nextLong();
    System.out.printf(Locale.ROOT, "WarmBudgetHoldsGloballyTest seed 0x%x%n", seed);
    int budget = 2;
    int peakAllowed = 3;
    engine =
        engine(
            backend,
            smallPool().totalMemories(32).totalTables(32).totalCoreInstances(32).maxUnusedWarmSlots(budget).build());
    List<PooledModule> modules = new ArrayList<>();
    for (int m = 0; m < 4; m++) {
      modules.add(engine.register(withMemoryAndTable("m" + m, 1, 1)));
    }
    // Every pool call of a request happens while it holds a permit, so at most peakAllowed
    // instances are ever live (or being set up or reset) at once.
    Semaphore concurrency = new Semaphore(peakAllowed);
    ExecutorService threads = Executors.newFixedThreadPool(6);
    try {
      for (int burst = 0; burst < 5; burst++) {
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
          SplittableRandom random = new SplittableRandom(seed + burst * 6L + t);
          work.add(
              threads.submit(
                  () -> {
                    for (int i = 0; i < 200; i++) {
                      concurrency.acquireUninterruptibly();
                      try {
                        modules.get(random.nextInt(modules.size())).allocate().close();
                      } finally {
                        concurrency.release();
                      }
                    }
                  }));
        }
        for (Future<?> f : work) {
          f.get();
        }
        // Quiet: every touched slot is warm, and no more are touched than the rules allow.
        PoolMetrics m = engine.metrics();
        int bound = peakAllowed + budget;
        String state = String.format(Locale.ROOT, "burst %d: %s", burst, m);
        assertTrue(m.unusedWarmMemories() <= bound, state);
        assertTrue(m.counters().memoryColdTakes() <= bound, state);
        assertEquals(m.counters().memoryColdTakes(), m.unusedWarmMemories(), state);
        assertTrue(m.unusedWarmTables() <= peakAllowed, "tables have a budget of 0: " + state);
      }
    } finally {
      threads.shutdown();
    }
  }
}
