package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.testing.FakeBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 11, point 4: with {@code decommitBatchSize} B, N closes hand their decommits to the
 * backend in about N/B calls (one {@code process_madvise} each on Linux; see {@code
 * DecommitSystemCallsTest} in the chicory module for the system-call count), and a batch's slots
 * go back to the free lists together.
 */
class DecommitBatchingBatchesTest {

  private final FakeBackend backend = FakeBackend.linuxLike();
  private EngineImpl engine;

  @AfterEach
  void close() {
    if (engine != null) {
      closeAndCheck(engine, backend);
    }
  }

  @ParameterizedTest(name = "batch {0}: 8 closes, {1} decommit calls")
  @CsvSource({"0,0", "1,0", "2,4", "4,2", "8,1"})
  void eightCloses_decommitCallsAreClosesOverBatchSize(int batch, int calls) {
    engine =
        engine(backend, smallPool().totalMemories(8).totalCoreInstances(8).totalTables(0).decommitBatchSize(batch).build());
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "M")));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      live.add(module.allocate());
    }
    backend.clearCalls();
    live.forEach(InstanceAllocation::close);
    assertEquals(calls, backend.count("decommit"), backend.calls().toString());
    assertEquals(8, backend.count("reset"), "each slot's reset ran once, its decommit deferred when batching");
    PoolMetrics.Counters c = engine.metrics().counters();
    assertEquals(batch <= 1 ? 8 : 0, c.inlineResets());
    assertEquals(batch <= 1 ? 0 : 8, c.batchedResets());
    assertEquals(calls, c.decommitBatches());
    assertEquals(8, engine.metrics().unusedWarmMemories());
  }

  @Test
  void batchOfFour_slotsPendingUntilTheFourthClose_thenAllFreeTogether() {
    engine = engine(backend, smallPool().totalMemories(8).totalCoreInstances(8).totalTables(0).decommitBatchSize(4).build());
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "M")));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      live.add(module.allocate());
    }
    for (int i = 0; i < 3; i++) {
      live.get(i).close();
      PoolMetrics m = engine.metrics();
      assertEquals(i + 1, m.counters().pendingResets());
      assertEquals(0, m.unusedWarmMemories(), "pending slots are not warm");
      assertEquals(3 - i, m.memories());
    }
    live.get(3).close();
    PoolMetrics m = engine.metrics();
    assertEquals(0, m.counters().pendingResets());
    assertEquals(4, m.unusedWarmMemories());
    assertEquals(1, backend.count("decommit"));
    // The written bytes are gone once the batch ran: a new tenant sees its image, then zeros.
    try (InstanceAllocation again = module.allocate()) {
      var segment = again.memories().get(0).segment();
      assertEquals('M', (char) segment.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }
  }

  @Test
  void batchRefused_slotsErasedBeforeReuse_noByteLeaks() {
    engine = engine(backend, smallPool().totalMemories(2).totalCoreInstances(2).totalTables(0).decommitBatchSize(2).build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    InstanceAllocation a = module.allocate();
    InstanceAllocation b = module.allocate();
    a.memories().get(0).segment().fill((byte) 0x77);
    b.memories().get(0).segment().fill((byte) 0x77);
    backend.failNext("decommit", 1);
    a.close();
    b.close();
    for (int i = 0; i < 2; i++) {
      try (InstanceAllocation next = module.allocate()) {
        EngineFixture.assertAllZero(next.memories().get(0).segment());
      }
    }
  }
}
