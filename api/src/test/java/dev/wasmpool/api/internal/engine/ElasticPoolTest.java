package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.memoryPool;
import static dev.wasmpool.api.internal.engine.EngineFixture.slotOf;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.testing.FakeBackend;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Issue 14, point 1: the memory pool reserves slabs as demand rises, up to totalMemories. */
class ElasticPoolTest {

  @Test
  void startsWithOneSlab_growsASlabAtATime_slotsInTheSeedsOrder() {
    FakeBackend backend = FakeBackend.linuxLike();
    EngineImpl engine =
        engine(backend, smallPool().totalMemories(40).totalCoreInstances(40).totalTables(0).build());
    MemoryPool pool = memoryPool(engine);
    assertEquals(1, pool.reservedSlabs(), "one slab at start");
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "M")));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      live.add(module.allocate());
      assertEquals(i, slotOf(live.get(i), 0), "cold slots lowest first, whatever the slab");
      assertEquals(i / 16 + 1, pool.reservedSlabs(), "slabs after " + (i + 1) + " instances");
      assertEquals('M', (char) live.get(i).memories().get(0).segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }
    live.forEach(InstanceAllocation::close);
    try (InstanceAllocation again = module.allocate()) {
      assertEquals(39, slotOf(again, 0), "the most recently freed affine slot, in the last slab");
    }
    assertEquals(3, pool.reservedSlabs());
    closeAndCheck(engine, backend);
  }

  @Test
  void slabRefused_instantiationFailsClearly_poolKeepsWorking() {
    FakeBackend backend = FakeBackend.linuxLike();
    EngineImpl engine =
        engine(backend, smallPool().totalMemories(20).totalCoreInstances(20).totalTables(0).build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      live.add(module.allocate());
    }
    backend.failNext("reserve", 1);
    assertThrows(dev.wasmpool.spi.BackendException.class, module::allocate);
    assertEquals(16, engine.metrics().memories(), "the failed instance gave its slot back");
    live.add(module.allocate()); // the slab is reserved on the next try
    assertEquals(2, memoryPool(engine).reservedSlabs());
    live.forEach(InstanceAllocation::close);
    closeAndCheck(engine, backend);
  }

  @Test
  void addressSpaceCheck_appliesToThePoolAtItsLargest() {
    FakeBackend backend = FakeBackend.linuxLike();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                engine(
                    backend,
                    smallPool().totalMemories(100_000).totalCoreInstances(100_000).maxMemorySize(4L << 30).build(),
                    b -> b.memoryReservation(4L << 30)));
    assertTrue(e.getMessage().startsWith("totalMemories must be at most "), e.getMessage());
  }

  /** With every default, the engine reserves a tenth of what the whole pool needs, or less. */
  @Test
  @EnabledOnOs(value = OS.LINUX, disabledReason = "reads VmSize from /proc/self/status")
  void linux_defaults_vmSizeGrowsByAtMostATenthOfTheWholePool() throws IOException {
    long before = PoolSizingTest.vmSizeKiB();
    try (Engine engine = Engine.create(EngineConfig.builder().backend("linux").build())) {
      long grown = PoolSizingTest.vmSizeKiB() - before;
      EngineConfig defaults = EngineConfig.defaults();
      long wholePoolKiB = 1000L * (defaults.memoryReservation() + defaults.memoryGuardSize()) / 1024;
      System.out.printf("VmSize grew by %d KiB at Engine.create(); the whole pool needs %d KiB%n", grown, wholePoolKiB);
      assertTrue(grown <= wholePoolKiB / 10, grown + " KiB");
      assertEquals("linux", engine.backendName());
    }
  }
}
