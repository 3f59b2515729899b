package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.PAGE;
import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.memoryPool;
import static dev.wasmpool.api.internal.engine.EngineFixture.slotOf;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.layout.SlabLayout;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.api.testing.FakeBackend.FakeReservation;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Striping with protection keys, through a fake backend that hands out keys and records colour
 * calls (this machine has no PKU, so the real backend never gets here).
 */
class MpkEngineTest {

  private FakeBackend backend = FakeBackend.withProtectionKeys(4);
  private EngineImpl engine;

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      closeAndCheck(engine, backend);
    }
  }

  /** 8 one-page slots; a 192 KiB guard with a 64 KiB maximum makes four stripes of 64 KiB. */
  private static PoolingAllocationConfig striped(MemoryProtectionKeys mode) {
    return PoolingAllocationConfig.builder()
        .totalMemories(8)
        .totalCoreInstances(16)
        .totalTables(0)
        .maxTablesPerModule(0)
        .maxMemorySize(PAGE)
        .memoryProtectionKeys(mode)
        .build();
  }

  private EngineImpl stripedEngine(MemoryProtectionKeys mode) {
    return engine(backend, striped(mode), c -> c.memoryReservation(PAGE).memoryGuardSize(3 * PAGE));
  }

  private FakeReservation slab() {
    return (FakeReservation) Objects.requireNonNull(memoryPool(engine).slab());
  }

  @Test
  void enable_fourKeys_fourStripes_everySlotColouredWithItsStripesKey() {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    MemoryPool pool = memoryPool(engine);
    SlabLayout layout = Objects.requireNonNull(pool.layout());
    assertEquals(4, pool.stripeCount());
    assertEquals(PAGE, layout.slotBytes());
    assertEquals(8, backend.count("colour"));
    for (int g = 0; g < 8; g++) {
      assertEquals(g % 4 + 1, slab().keyAt(layout.slotOffset(g)), "slot " + g);
      assertEquals(g % 4 + 1, Objects.requireNonNull(pool.slot(g).key()).value());
    }
    assertEquals(0, slab().keyAt(0), "the leading guard keeps key 0");
  }

  @Test
  void stripes_roundRobinPerInstance_andGlobalSlotIsStripedIndexTimesStripesPlusStripe() {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    List<InstanceAllocation> live = new ArrayList<>();
    Set<Integer> stripes = new HashSet<>();
    for (int i = 0; i < 4; i++) {
      InstanceAllocation a = module.allocate();
      live.add(a);
      stripes.add(slotOf(a, 0) % 4);
      assertEquals(
          slotOf(a, 0) % 4 + 1, Objects.requireNonNull(memoryPool(engine).slot(slotOf(a, 0)).key()).value());
    }
    assertEquals(Set.of(0, 1, 2, 3), stripes, "four instances in a row land on four stripes");
    live.forEach(InstanceAllocation::close);
  }

  @Test
  void stripes_full_otherStripesTried_thenTheFirstStripeIsReported() {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      live.add(module.allocate());
    }
    PoolExhaustedException e = assertThrows(PoolExhaustedException.class, module::allocate);
    assertTrue(e.getMessage().matches("maximum concurrent limit of 2 for memory stripe [0-3] reached"), e.getMessage());
    live.get(5).close();
    // Whatever stripe comes next in the rotation, the free slot is found.
    module.allocate().close();
    live.forEach(InstanceAllocation::close);
    assertEquals(0, engine.metrics().memories());
  }

  @Test
  void imageMappingAndPurge_recolourTheRange() {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "SECRET")));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      live.add(module.allocate());
    }
    live.forEach(InstanceAllocation::close);
    SlabLayout layout = Objects.requireNonNull(memoryPool(engine).layout());
    module.close();
    assertEquals(4, backend.count("removeImage"), "one purge per stripe's affine slot");
    for (int g = 0; g < 8; g++) {
      assertEquals(g % 4 + 1, slab().keyAt(layout.slotOffset(g)), "slot " + g + " keeps its colour");
    }
  }

  @Test
  void auto_withKeys_stripes() {
    engine = stripedEngine(MemoryProtectionKeys.AUTO);
    assertEquals(4, memoryPool(engine).stripeCount());
  }

  @Test
  void auto_withoutKeys_oneStripe_noColour() {
    backend = FakeBackend.linuxLike();
    engine = stripedEngine(MemoryProtectionKeys.AUTO);
    assertEquals(1, memoryPool(engine).stripeCount());
    assertEquals(0, backend.count("colour"));
  }

  @Test
  void disable_withKeys_oneStripe_keysNeverAllocated() {
    engine = stripedEngine(MemoryProtectionKeys.DISABLE);
    assertEquals(1, memoryPool(engine).stripeCount());
    assertEquals(0, backend.keys().allocateCalls());
  }

  @Test
  void enable_withoutKeys_engineCreationFails_backendClosed() {
    backend = FakeBackend.linuxLike();
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> stripedEngine(MemoryProtectionKeys.ENABLE));
    assertEquals("mpk is disabled on this system", e.getMessage());
    assertTrue(backend.isClosed());
  }
}
