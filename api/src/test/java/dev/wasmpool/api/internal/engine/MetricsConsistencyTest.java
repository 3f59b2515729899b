package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.testing.FakeBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 12, item 8: a metrics snapshot taken while threads instantiate and close is consistent
 * for each pool: live, unused warm and pending slots never add up to more than the pool holds
 * (it once showed "memories 7 + warm 2" with 8 slots).
 */
class MetricsConsistencyTest {

  @ParameterizedTest(name = "decommitBatchSize {0}")
  @ValueSource(ints = {1, 3})
  void snapshotsUnderChurn_neverCountMoreSlotsThanThePoolHas(int batch) throws Exception {
    FakeBackend backend = FakeBackend.linuxLike();
    backend.stopRecordingCalls();
    EngineImpl engine =
        engine(
            backend,
            smallPool().totalMemories(8).totalTables(8).totalCoreInstances(8).decommitBatchSize(batch).build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1));
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      workers.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    while (!stop.get()) {
                      try {
                        module.allocate().close();
                      } catch (PoolExhaustedException e) {
                        // pending slots can make a burst run out; the snapshot is what is tested
                      }
                    }
                  }));
    }
    int snapshots = 0;
    long deadline = System.nanoTime() + 1_000_000_000L;
    try {
      while (System.nanoTime() < deadline) {
        PoolMetrics m = engine.metrics();
        int memories = m.memories() + m.unusedWarmMemories();
        int tables = m.tables() + m.unusedWarmTables();
        assertTrue(memories + m.counters().pendingResets() <= 16, m.toString());
        assertTrue(memories <= 8, "memories: " + m);
        assertTrue(tables <= 8, "tables: " + m);
        snapshots++;
      }
    } finally {
      stop.set(true);
      for (Thread w : workers) {
        w.join();
      }
    }
    assertTrue(snapshots > 100, "snapshots taken: " + snapshots);
    closeAndCheck(engine, backend);
  }
}
