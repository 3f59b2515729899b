package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14, point 5, through the Chicory binding: a {@link PooledInstance} dropped without {@code
 * close()} is reclaimed once nothing can run it, and a Chicory {@link Instance} still held keeps
 * its slots however the pooled wrapper is dropped.
 */
class LeakReclaimTest {

  private static final int[] I32 = {WasmBuilder.I32};
  private static final int[] I32_I32 = {WasmBuilder.I32, WasmBuilder.I32};

  static List<String> backends() {
    return Pools.backends();
  }

  /** One page: {@code store(addr, v)} and {@code load(addr)}. */
  private static WasmModule module() {
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    b.exportFunction("store", b.function(b.type(I32_I32, new int[0]), new Code().localGet(0).localGet(1).i32Store(0)));
    b.exportFunction("load", b.function(b.type(I32, I32), new Code().localGet(0).i32Load(0)));
    return b.parse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void pooledInstance_droppedWithoutClose_reclaimed_nextTenantSeesAFreshMemory(String backend) {
    try (Engine engine = Pools.engine(backend, p -> p.totalCoreInstances(1));
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      leakOne(module);
      collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 1);
      try (PooledInstance next = module.instantiate()) {
        assertEquals(0, next.export("load").apply(0)[0], "reset, not the leaked tenant's 42");
      }
      assertEquals(0, engine.metrics().coreInstances());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void chicoryInstanceKept_pooledWrapperDropped_notReclaimed_untilTheInstanceGoesToo(String backend) {
    try (Engine engine = Pools.engine(backend, p -> p.totalMemories(2).totalCoreInstances(2));
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      Instance kept = module.instantiate().instance();
      ExportFunction store = kept.export("store");
      store.apply(0, 7);
      leakOne(module);
      // The other instance's reclaim shows that the collector and the cleaner ran.
      collectUntil(() -> engine.metrics().counters().leaksReclaimed() >= 1);
      System.gc();
      assertEquals(1, engine.metrics().counters().leaksReclaimed());
      assertEquals(7, kept.export("load").apply(0)[0], "the instance still runs on its own memory");
      store.apply(0, 8);
      assertEquals(8, kept.memory().readInt(0));

      kept = null;
      store = null;
      collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 2);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void dropInFactories_resourcesNeverClosed_keptWhileTheInstanceIs_reclaimedAfter(String backend) {
    try (Engine engine = Pools.engine(backend, p -> p.totalMemories(2).totalCoreInstances(2));
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      Instance kept = Instance.builder(module.wasmModule()).withMemoryFactory(module.resources().memoryFactory()).build();
      kept.export("store").apply(0, 5);
      leakOne(module);
      collectUntil(() -> engine.metrics().counters().leaksReclaimed() >= 1);
      System.gc();
      assertEquals(1, engine.metrics().counters().leaksReclaimed());
      assertEquals(5, kept.export("load").apply(0)[0]);

      kept = null;
      collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 2);
    }
  }

  /** Instantiates, writes 42 and drops every reference without closing. */
  private static void leakOne(PooledWasmModule module) {
    module.instantiate().export("store").apply(0, 42);
  }

  /** At most 200 rounds, each a GC and a short wait for the cleaner's thread. */
  private static void collectUntil(BooleanSupplier condition) {
    for (int round = 0; round < 200 && !condition.getAsBoolean(); round++) {
      System.gc();
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    assertTrue(condition.getAsBoolean(), "not reclaimed after 200 collections");
  }
}
