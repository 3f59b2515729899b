package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.PAGE;
import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.memoryPool;
import static dev.wasmpool.api.internal.engine.EngineFixture.slotOf;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.layout.SlabLayout;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.internal.mpk.ProtectionMask;
import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.api.testing.Modules;
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

  @Test
  void guestRights_keyZeroAndTheStripesKeyOnly_perInstance() {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      InstanceAllocation a = module.allocate();
      live.add(a);
      int key = Objects.requireNonNull(memoryPool(engine).slot(slotOf(a, 0)).key()).value();
      GuestRights rights = a.guestRights();
      assertTrue(rights.restricts());
      assertEquals(ProtectionMask.zero().or(key).bits(), rights.guestRegister(), "instance " + i);
      for (int k = 0; k <= ProtectionMask.MAX_KEY; k++) {
        assertEquals(k == 0 || k == key, new ProtectionMask(rights.guestRegister()).allows(k), "key " + k);
      }
    }
    live.forEach(InstanceAllocation::close);
  }

  @Test
  void guestRights_enterGuestThenLeave_writesGuestThenHost_onTheCallingThreadOnly() {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      GuestRights rights = a.guestRights();
      int before = backend.keys().rightsWritten().size();
      int previous = rights.enterGuest();
      assertEquals(0, previous, "the engine gave this thread host rights");
      assertEquals(rights.guestRegister(), backend.keys().rights());
      int host = rights.enterHost();
      assertEquals(rights.guestRegister(), host);
      assertEquals(0, backend.keys().rights(), "host function: every key");
      rights.leave(host);
      assertEquals(rights.guestRegister(), backend.keys().rights(), "back in guest code");
      rights.leave(previous);
      assertEquals(0, backend.keys().rights());
      List<Integer> written = backend.keys().rightsWritten();
      assertEquals(
          List.of(rights.guestRegister(), 0, rights.guestRegister(), 0),
          written.subList(before, written.size()));
    }
  }

  @Test
  void threadWithKeysDenied_getsHostRights_whenItAllocatesOrCloses() throws Exception {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    int linuxInitial = 0x5555_5554; // keys 1-15 access-disabled, as Linux starts threads
    int[] seen = new int[2];
    Thread t =
        new Thread(
            () -> {
              backend.keys().setRights(linuxInitial);
              InstanceAllocation a = module.allocate();
              seen[0] = backend.keys().rights();
              backend.keys().setRights(linuxInitial);
              a.close();
              seen[1] = backend.keys().rights();
            });
    t.start();
    t.join();
    assertEquals(0, seen[0], "after allocate");
    assertEquals(0, seen[1], "after close");
  }

  /** Runs {@code access} on a new thread that starts with Linux's rights; the rights after it. */
  private int rightsAfterOnNewThread(int startRights, Runnable access) throws Exception {
    int[] after = new int[1];
    Throwable[] failure = new Throwable[1];
    Thread t =
        new Thread(
            () -> {
              backend.keys().setRights(startRights);
              try {
                access.run();
              } catch (Throwable e) {
                failure[0] = e;
              }
              after[0] = backend.keys().rights();
            });
    t.start();
    t.join();
    if (failure[0] != null) {
      throw new AssertionError("access failed", failure[0]);
    }
    return after[0];
  }

  @Test
  void memoryHandleOnThreadsThatNeverUsedTheEngine_eachGetsHostRightsBeforeTouchingTheSlot() throws Exception {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    int linuxInitial = 0x5555_5554; // keys 1-15 access-disabled, as Linux starts threads
    try (InstanceAllocation a = module.allocate()) {
      ViewMemory memory = new ViewMemory(a.memories().get(0));
      memory.write(7, new byte[] {42});
      byte[] read = new byte[2];
      // Two threads in turn: the second must not find a shared view the first left behind.
      assertEquals(0, rightsAfterOnNewThread(linuxInitial, () -> read[0] = memory.read(7)), "first thread");
      assertEquals(0, rightsAfterOnNewThread(linuxInitial, () -> read[1] = memory.read(7)), "second thread");
      assertEquals(42, read[0]);
      assertEquals(42, read[1]);
      // A thread that runs guest code keeps its guest rights: that is what the keys enforce.
      int guest = a.guestRights().guestRegister();
      assertEquals(guest, rightsAfterOnNewThread(guest, () -> memory.read(7)), "thread in guest code");
      assertEquals(42, memory.read(7), "the owner still reads through its own view");
    }
  }

  @Test
  void guestRights_withoutMemory_keyZeroOnly() {
    engine = stripedEngine(MemoryProtectionKeys.ENABLE);
    PooledModule module = engine.register(Modules.empty("none"));
    try (InstanceAllocation a = module.allocate()) {
      assertTrue(a.guestRights().restricts());
      assertEquals(ProtectionMask.zero().bits(), a.guestRights().guestRegister());
    }
  }

  @Test
  void autoWithoutKeys_and_disable_unrestricted_registerNeverWritten() {
    backend = FakeBackend.linuxLike();
    engine = stripedEngine(MemoryProtectionKeys.AUTO);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      assertSame(GuestRights.UNRESTRICTED, a.guestRights());
      assertFalse(a.guestRights().restricts());
    }
    assertEquals(List.of(), backend.keys().rightsWritten());
  }

  @Test
  void disableWithKeys_unrestricted_registerNeverWritten() {
    engine = stripedEngine(MemoryProtectionKeys.DISABLE);
    PooledModule module = engine.register(withMemory("m", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      assertSame(GuestRights.UNRESTRICTED, a.guestRights());
    }
    assertEquals(List.of(), backend.keys().rightsWritten());
  }
}
