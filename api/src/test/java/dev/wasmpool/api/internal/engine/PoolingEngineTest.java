package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.PAGE;
import static dev.wasmpool.api.internal.engine.EngineFixture.assertAllZero;
import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.fill;
import static dev.wasmpool.api.internal.engine.EngineFixture.imageSlotOf;
import static dev.wasmpool.api.internal.engine.EngineFixture.memoryPool;
import static dev.wasmpool.api.internal.engine.EngineFixture.pooling;
import static dev.wasmpool.api.internal.engine.EngineFixture.slotOf;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.table;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.ResourcePermit;
import dev.wasmpool.api.binding.TableSlot;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.api.testing.Churn;
import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.api.testing.FakeBackend.FakeReservation;
import dev.wasmpool.api.testing.Modules;
import dev.wasmpool.spi.BackendException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The pooling engine against the fake backend (Linux-like unless a test says otherwise). */
class PoolingEngineTest {

  private FakeBackend backend = FakeBackend.linuxLike();
  private EngineImpl engine;

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      closeAndCheck(engine, backend);
    }
  }

  private static String text(MemorySegment segment, int length) {
    byte[] bytes = new byte[length];
    MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, 0, bytes, 0, length);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Starts {@link #engine} on {@link EngineFixture#smallPool()} and registers {@code module} with it. */
  private PooledModule registerInSmallPool(ModuleDescriptor module) {
    engine = engine(backend, smallPool().build());
    return engine.register(module);
  }

  /** Starts {@link #engine} on {@link EngineFixture#smallPool()} and allocates one instance of {@code module}. */
  private InstanceAllocation allocateInSmallPool(ModuleDescriptor module) {
    return registerInSmallPool(module).allocate();
  }

  /** Two allocations left open by {@link #allocateTwoThenExhausted}, and the metrics after it. */
  private record Exhausted(InstanceAllocation first, InstanceAllocation second, PoolMetrics metrics) {}

  /**
   * Allocates twice from {@code module}, then checks that a third allocation fails on a limit of 2
   * for {@code kind}.
   *
   * @return the two allocations, still open, and the engine's metrics after the failure
   */
  private Exhausted allocateTwoThenExhausted(PooledModule module, String kind) {
    InstanceAllocation first = module.allocate();
    InstanceAllocation second = module.allocate();
    PoolExhaustedException e = assertThrows(PoolExhaustedException.class, module::allocate);
    assertEquals("maximum concurrent limit of 2 for " + kind + " reached", e.getMessage());
    assertEquals(kind, e.kind());
    return new Exhausted(first, second, engine.metrics());
  }

  private static LinearMemory firstMemory(InstanceAllocation allocation) {
    return allocation.memories().get(0);
  }

  private FakeReservation slab() {
    return (FakeReservation) Objects.requireNonNull(memoryPool(engine).slab());
  }

  /* ---- shape of an allocation ---- */

  @Test
  void allocate_memoryAndTable_viewsSizedZeroAndBounded() {
    PooledModule module = registerInSmallPool(withMemoryAndTable("m", 2, 3));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = firstMemory(a);
      assertEquals(2, memory.pages());
      assertEquals(10, memory.maximumPages());
      assertEquals(2 * PAGE, memory.segment().byteSize());
      assertTrue(memory.imageInPlace(), "no data is an empty image");
      assertAllZero(memory.segment());
      TableSlot table = a.tables().get(0);
      assertEquals(3, table.initialElements());
      assertEquals(10, table.maximumElements());
      assertEquals(80, table.elements().byteSize());
      assertAllZero(table.elements());
      assertThrows(IndexOutOfBoundsException.class, () -> memory.segment().get(ValueLayout.JAVA_BYTE, 2 * PAGE));
      assertEquals(2 * PAGE, slab().accessibleBytes(memoryPool(engine).slot(slotOf(a, 0)).base(), 10 * PAGE));
      assertEquals(module, a.module());
    }
  }

  @Test
  void register_validatesAgainstThePool() {
    engine = engine(backend, smallPool().build());
    ModuleValidationException e =
        assertThrows(ModuleValidationException.class, () -> engine.register(withMemory("big", 11, -1)));
    assertEquals(
        "module memory does not fit in pooling allocator requirements: memory index 0 is unsupported in"
            + " this pooling allocator configuration: memory has a minimum byte size of 720896 bytes"
            + " (704 KiB) which exceeds the maxMemorySize limit of 655360 bytes (640 KiB)",
        e.getMessage());
  }

  /* ---- exhaustion and recovery ---- */

  @Test
  void coreInstances_exhausted_thenRoomAfterClose() {
    engine = engine(backend, smallPool().totalCoreInstances(2).build());
    PooledModule module = engine.register(Modules.empty("e"));
    Exhausted held = allocateTwoThenExhausted(module, "core instances");
    held.first().close();
    module.allocate().close();
    held.second().close();
    assertEquals(0, engine.metrics().coreInstances());
  }

  @Test
  void memories_exhausted_namesTheStripe_andGivesTheInstanceBack() {
    engine = engine(backend, smallPool().totalMemories(2).build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    Exhausted held = allocateTwoThenExhausted(module, "memory stripe 0");
    PoolMetrics m = held.metrics();
    assertEquals(2, m.coreInstances());
    assertEquals(2, m.memories());
    held.second().close();
    module.allocate().close();
    held.first().close();
  }

  @Test
  void tables_exhausted_givesTheMemoryBack() {
    engine = engine(backend, smallPool().totalTables(2).build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1));
    Exhausted held = allocateTwoThenExhausted(module, "tables");
    PoolMetrics m = held.metrics();
    assertEquals(2, m.memories());
    assertEquals(2, m.tables());
    assertEquals(2, m.coreInstances());
    assertEquals(1, m.unusedWarmMemories(), "the failed instance's memory went back");
    held.first().close();
    held.second().close();
  }

  @Test
  void accountedResources_boundedAndCounted() {
    engine = engine(backend, smallPool().totalStacks(2).totalGcHeaps(0).build());
    ResourcePermit one = engine.acquire(AccountedResource.STACK);
    ResourcePermit two = engine.acquire(AccountedResource.STACK);
    PoolExhaustedException e =
        assertThrows(PoolExhaustedException.class, () -> engine.acquire(AccountedResource.STACK));
    assertEquals("maximum concurrent limit of 2 for fibers reached", e.getMessage());
    assertEquals(
        "maximum concurrent limit of 0 for GC heaps reached",
        assertThrows(PoolExhaustedException.class, () -> engine.acquire(AccountedResource.GC_HEAP))
            .getMessage());
    ResourcePermit component = engine.acquire(AccountedResource.COMPONENT_INSTANCE);
    assertEquals(2, engine.metrics().stacks());
    assertEquals(1, engine.metrics().componentInstances());
    one.close();
    one.close();
    assertEquals(1, engine.metrics().stacks(), "a second close gives nothing back");
    two.close();
    component.close();
    assertEquals(0, engine.metrics().stacks());
  }

  /* ---- decommit batching ---- */

  @ParameterizedTest(name = "capacity {0}, batch {1}")
  @CsvSource({"10,5", "10,1", "10,0", "10,99"})
  void decommitBatching_everySlotFilledThreeTimes(int capacity, int batch) {
    engine =
        engine(
            backend,
            smallPool()
                .totalMemories(capacity)
                .totalTables(capacity)
                .totalCoreInstances(capacity)
                .decommitBatchSize(batch)
                .build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1));
    for (int round = 0; round < 3; round++) {
      List<InstanceAllocation> live = new ArrayList<>();
      for (int i = 0; i < capacity; i++) {
        InstanceAllocation a = module.allocate();
        assertAllZero(firstMemory(a).segment());
        assertAllZero(a.tables().get(0).elements());
        firstMemory(a).segment().fill((byte) 0x5A);
        a.tables().get(0).elements().fill((byte) 0x5A);
        live.add(a);
      }
      assertThrows(PoolExhaustedException.class, module::allocate);
      live.forEach(InstanceAllocation::close);
      int pending = pooling(engine).decommitQueue().pendingResets();
      // One memory and one table range per instance, each one region.
      int expected = batch <= 1 ? 0 : (2 * capacity) % batch;
      assertEquals(expected, pending, "round " + round);
      assertEquals(0, engine.metrics().memories());
    }
    closeAndCheck(engine, backend);
    engine = null;
    assertEquals(3 * 2 * capacity, backend.count("reset"), "every range reset exactly once per use");
  }

  /* ---- failures leave the slot unknown, erased before reuse ---- */

  @Test
  void resetFailure_slotUnknown_erasedBeforeReuse_noByteLeak() {
    engine = engine(backend, smallPool().totalMemories(1).maxUnusedWarmSlots(0).build());
    PooledModule module = engine.register(withMemory("m", 2, -1));
    InstanceAllocation a = module.allocate();
    LinearMemory memory = firstMemory(a);
    assertEquals(2, memory.grow(3));
    memory.segment().fill((byte) 0xAA);
    ImageSlot slot = imageSlotOf(engine, a, 0);
    backend.failNext("reset", 1);
    a.close();
    assertEquals(ImageSlot.State.UNKNOWN, slot.state());
    assertEquals(0, engine.metrics().unusedMemoryBytesResident());

    backend.clearCalls();
    try (InstanceAllocation b = module.allocate()) {
      assertEquals(ImageSlot.State.PREVIOUSLY_USED, slot.state());
      assertTrue(backend.calls().contains("reset(0x10000, 0x50000, keep=0x0)"), backend.calls().toString());
      LinearMemory next = firstMemory(b);
      assertAllZero(next.segment());
      assertEquals(2, next.grow(3));
      assertAllZero(next.segment());
    }
  }

  @Test
  void mapImageFailure_allocationFails_nothingLost_nextOneHasItsData() {
    engine = engine(backend, smallPool().totalMemories(1).build());
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "hello")));
    backend.failNext("mapImage", 1);
    BackendException e = assertThrows(BackendException.class, module::allocate);
    assertEquals("mapImage", e.operation());
    PoolMetrics m = engine.metrics();
    assertEquals(0, m.coreInstances());
    assertEquals(0, m.memories());
    try (InstanceAllocation a = module.allocate()) {
      assertEquals("hello", text(firstMemory(a).segment(), 5));
      assertTrue(firstMemory(a).imageInPlace());
    }
  }

  @Test
  void instantiationFailure_previousTenantsBytesNeverLeak() {
    engine = engine(backend, smallPool().totalMemories(1).maxUnusedWarmSlots(0).build());
    PooledModule plain = engine.register(withMemory("plain", 1, -1));
    PooledModule imaged = engine.register(withMemory("imaged", 1, -1, data(100, "img")));
    InstanceAllocation first = plain.allocate();
    firstMemory(first).segment().fill((byte) 0xAA);
    backend.failNext("reset", 1);
    first.close();
    backend.failNext("mapImage", 1);
    assertThrows(BackendException.class, imaged::allocate);
    try (InstanceAllocation next = plain.allocate()) {
      assertAllZero(firstMemory(next).segment());
    }
  }

  @Test
  void tableResetFailure_tableZeroedBeforeHandOut() {
    engine = engine(backend, smallPool().totalTables(1).build());
    ModuleDescriptor tableOnly =
        new ModuleDescriptor("t", List.of(), List.of(table(10, -1)), List.of(), Map.of());
    PooledModule module = engine.register(tableOnly);
    InstanceAllocation a = module.allocate();
    a.tables().get(0).elements().fill((byte) 0x11);
    backend.failNext("reset", 1);
    a.close();
    try (InstanceAllocation b = module.allocate()) {
      assertAllZero(b.tables().get(0).elements());
    }
  }

  /* ---- affinity ---- */

  @Test
  void affinity_sameModuleGetsItsSlotBack_imageMappedOnce_noCallOnReuse() {
    PooledModule module = registerInSmallPool(withMemory("a", 1, -1, data(0, "A-data")));
    int slot = -1;
    for (int i = 0; i < 5; i++) {
      int before = backend.memoryCalls();
      try (InstanceAllocation a = module.allocate()) {
        if (i > 0) {
          assertEquals(before, backend.memoryCalls(), "reuse with the image in place costs no call");
          assertEquals(slot, slotOf(a, 0));
        }
        slot = slotOf(a, 0);
        MemorySegment memory = firstMemory(a).segment();
        assertEquals("A-data", text(memory, 6));
        assertEquals(0, memory.get(ValueLayout.JAVA_BYTE, 100), "earlier writes reset");
        memory.set(ValueLayout.JAVA_BYTE, 100, (byte) 1);
        memory.set(ValueLayout.JAVA_BYTE, 0, (byte) 'X');
      }
    }
    assertEquals(1, backend.count("createImage"));
    assertEquals(1, backend.count("mapImage"));
    assertEquals(1, backend.count("makeAccessible"));
  }

  @Test
  void affinity_twoModules_eachKeepsItsSlot() {
    PooledModule a = registerInSmallPool(withMemory("a", 1, -1, data(0, "AAAA")));
    PooledModule b = engine.register(withMemory("b", 1, -1, data(0, "BBBB")));
    for (int i = 0; i < 5; i++) {
      for (PooledModule module : List.of(a, b)) {
        try (InstanceAllocation x = module.allocate()) {
          String expected = module == a ? "AAAA" : "BBBB";
          assertEquals(expected, text(firstMemory(x).segment(), 4));
        }
      }
    }
    assertEquals(2, backend.count("mapImage"));
    assertEquals(0, backend.count("removeImage"));
  }

  /**
   * Two threads instantiating one module: whichever thread asks next gets the most recently freed
   * affine slot (the seed's first rule over the whole pool), not the one it freed itself; every
   * slot a thread freed is free to every other thread, also after that thread has ended.
   */
  @Test
  void anyThread_mostRecentlyFreedAffineSlot_evenIfAnotherThreadFreedIt() throws Exception {
    engine = engine(backend, smallPool().totalMemories(2).build());
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "MMMM")));
    InstanceAllocation mine = module.allocate();
    int mySlot = slotOf(mine, 0);
    int[] theirSlot = new int[1];
    InstanceAllocation[] theirs = new InstanceAllocation[1];
    CountDownLatch allocated = new CountDownLatch(1);
    CountDownLatch mayClose = new CountDownLatch(1);
    Thread other =
        inStepsOnAnotherThread(
            () -> {
              theirs[0] = module.allocate();
              theirSlot[0] = slotOf(theirs[0], 0);
            },
            allocated,
            mayClose,
            () -> theirs[0].close());
    allocated.await();
    mine.close();
    mayClose.countDown();
    other.join();
    assertNotEquals(mySlot, theirSlot[0]);
    PoolMetrics m = engine.metrics();
    assertEquals(0, m.memories());
    assertEquals(2, m.unusedWarmMemories());
    try (InstanceAllocation again = module.allocate()) {
      assertEquals(theirSlot[0], slotOf(again, 0), "the most recently freed slot, freed by the other thread");
      assertEquals("MMMM", text(firstMemory(again).segment(), 4));
      try (InstanceAllocation next = module.allocate()) {
        assertEquals(mySlot, slotOf(next, 0));
        assertEquals("MMMM", text(firstMemory(next).segment(), 4));
      }
    }
  }

  /** A table slot freed by a thread that has ended is warm, reused (not a cold one), and zeroed. */
  @Test
  void tables_slotFreedByAnEndedThread_reusedZeroed() throws Exception {
    engine = engine(backend, smallPool().totalTables(1).build());
    PooledModule module = engine.register(withMemoryAndTable("t", 1, 4));
    Thread.ofPlatform()
        .start(
            () -> {
              try (InstanceAllocation a = module.allocate()) {
                fill(a.tables().get(0).localElements(), (byte) 0x5A);
              }
            })
        .join();
    PoolMetrics m = engine.metrics();
    assertEquals(0, m.tables());
    assertEquals(1, m.unusedWarmTables());
    try (InstanceAllocation b = module.allocate()) {
      assertAllZero(b.tables().get(0).elements());
      assertEquals(1, engine.metrics().tables());
    }
    assertEquals(1, engine.metrics().unusedWarmTables());
  }

  /** Closing a module purges its slots freed by any thread, alive or not. */
  @Test
  void moduleClose_purgesTheSlotsOtherThreadsFreed() throws Exception {
    PooledModule module = registerInSmallPool(withMemory("m", 1, -1, data(0, "MMMM")));
    CountDownLatch released = new CountDownLatch(1);
    CountDownLatch mayEnd = new CountDownLatch(1);
    Thread keeper = inStepsOnAnotherThread(() -> module.allocate().close(), released, mayEnd, () -> {});
    released.await();
    assertEquals(1, slab().images().size(), "the freed slot holds the image");
    assertEquals(1, engine.metrics().unusedWarmMemories());
    module.close();
    assertEquals(Map.of(), slab().images(), "purged although its thread still runs");
    assertEquals(1, engine.metrics().unusedWarmMemories(), "warm, without affinity");
    mayEnd.countDown();
    keeper.join();
  }

  /**
   * Starts a platform thread that runs {@code first}, counts {@code done} down, waits for {@code
   * proceed}, then runs {@code then}.
   */
  private static Thread inStepsOnAnotherThread(
      Runnable first, CountDownLatch done, CountDownLatch proceed, Runnable then) {
    return Thread.ofPlatform()
        .start(
            () -> {
              first.run();
              done.countDown();
              try {
                proceed.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              then.run();
            });
  }

  @Test
  void affinity_noWarmBudgetOneSlot_imagesSwitch() {
    engine = engine(backend, smallPool().totalMemories(1).maxUnusedWarmSlots(0).build());
    PooledModule a = engine.register(withMemory("a", 1, -1, data(0, "AAAA")));
    PooledModule plain = engine.register(withMemory("plain", 1, -1));
    for (int i = 0; i < 3; i++) {
      try (InstanceAllocation x = a.allocate()) {
        assertEquals("AAAA", text(firstMemory(x).segment(), 4));
      }
      try (InstanceAllocation x = plain.allocate()) {
        assertAllZero(firstMemory(x).segment());
      }
    }
    assertEquals(3, backend.count("mapImage"));
    assertEquals(3, backend.count("removeImage"));
  }

  @Test
  void reuse_afterGrowth_noGuard_noCall() {
    engine = engine(backend, smallPool().build(), c -> c.memoryGuardSize(0));
    PooledModule module = engine.register(withMemory("g", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      assertEquals(1, firstMemory(a).grow(2));
    }
    int before = backend.memoryCalls();
    try (InstanceAllocation b = module.allocate()) {
      assertEquals(before, backend.memoryCalls());
      assertEquals(PAGE, firstMemory(b).segment().byteSize());
    }
  }

  @Test
  void reuse_afterGrowth_withGuard_oneMakeInaccessible() {
    PooledModule module = registerInSmallPool(withMemory("g", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      assertEquals(1, firstMemory(a).grow(2));
    }
    backend.clearCalls();
    try (InstanceAllocation b = module.allocate()) {
      assertEquals(List.of("makeInaccessible(0x20000, 0x20000)"), backend.calls());
      assertEquals(PAGE, slab().accessibleBytes(imageSlotOf(engine, b, 0).base(), 10 * PAGE));
    }
  }

  /* ---- module close purges affine slots (seed change) ---- */

  @Test
  void moduleClose_purgesAffineSlots_andReleasesTheImage() {
    PooledModule module = registerInSmallPool(withMemory("a", 1, -1, data(0, "A-data")));
    List<InstanceAllocation> live = List.of(module.allocate(), module.allocate(), module.allocate());
    live.forEach(InstanceAllocation::close);
    assertEquals(3, slab().images().size());
    assertEquals(1, backend.openImages().size());
    module.close();
    assertEquals(3, backend.count("removeImage"));
    assertEquals(Map.of(), slab().images());
    assertEquals(0, backend.openImages().size(), "the image is closed once no slot maps it");
    assertEquals(3, engine.metrics().unusedWarmMemories());
    assertThrows(IllegalStateException.class, module::allocate);
    module.close();
    assertEquals(3, backend.count("removeImage"), "close is idempotent");
  }

  @Test
  void moduleClose_withAllocationOpen_allocationWorks_imageRemovedWhenItCloses() {
    PooledModule module = registerInSmallPool(withMemory("a", 1, -1, data(0, "A-data")));
    InstanceAllocation a = module.allocate();
    module.close();
    MemorySegment memory = firstMemory(a).segment();
    assertEquals("A-data", text(memory, 6));
    memory.set(ValueLayout.JAVA_BYTE, 10, (byte) 1);
    assertEquals(1, backend.openImages().size(), "still mapped by the open allocation");
    a.close();
    assertEquals(Map.of(), slab().images());
    assertEquals(0, backend.openImages().size());
    PooledModule other = engine.register(withMemory("b", 1, -1));
    try (InstanceAllocation b = other.allocate()) {
      assertAllZero(firstMemory(b).segment());
    }
  }

  @Test
  void moduleClose_withQueuedResets_flushesAndPurgesThem() {
    engine = engine(backend, smallPool().decommitBatchSize(99).build());
    PooledModule module = engine.register(withMemory("a", 1, -1, data(0, "A-data")));
    module.allocate().close();
    module.allocate().close();
    assertEquals(2, pooling(engine).decommitQueue().pendingResets(), "queued slots are not reused");
    module.close();
    assertEquals(0, pooling(engine).decommitQueue().pendingResets());
    assertEquals(Map.of(), slab().images());
    assertEquals(0, backend.openImages().size());
  }

  @Test
  void moduleClose_otherModulesKeepTheirImages() {
    PooledModule a = registerInSmallPool(withMemory("a", 1, -1, data(0, "AAAA")));
    PooledModule b = engine.register(withMemory("b", 1, -1, data(0, "BBBB")));
    a.allocate().close();
    b.allocate().close();
    a.close();
    assertEquals(1, slab().images().size());
    int mapped = backend.count("mapImage");
    try (InstanceAllocation x = b.allocate()) {
      assertEquals("BBBB", text(firstMemory(x).segment(), 4));
    }
    assertEquals(mapped, backend.count("mapImage"));
  }

  @Test
  void moduleClose_purgeRefused_slotErasedBeforeReuse_imageStillReleased() {
    engine = engine(backend, smallPool().totalMemories(1).build());
    PooledModule module = engine.register(withMemory("a", 1, -1, data(0, "SECRET")));
    module.allocate().close();
    backend.failNext("removeImage", 1);
    module.close();
    assertEquals(ImageSlot.State.UNKNOWN, memoryPool(engine).slot(0).state());
    PooledModule other = engine.register(withMemory("b", 1, -1));
    try (InstanceAllocation b = other.allocate()) {
      assertAllZero(firstMemory(b).segment());
    }
    assertEquals(0, backend.openImages().size(), "released once the erase dropped it");
  }

  /* ---- use after close ---- */

  @Test
  void useAfterClose_everyHandleThrows_andNeverReachesTheNextTenant() {
    engine = engine(backend, smallPool().totalMemories(1).totalTables(1).build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1));
    InstanceAllocation a = module.allocate();
    LinearMemory memory = firstMemory(a);
    MemorySegment stale = memory.segment();
    MemorySegment slice = stale.asSlice(16, 16);
    MemorySegment elements = a.tables().get(0).elements();
    a.close();
    assertTrue(a.isClosed());
    a.close();
    try (InstanceAllocation b = module.allocate()) {
      firstMemory(b).segment().fill((byte) 0x77);
      assertThrows(IllegalStateException.class, () -> stale.get(ValueLayout.JAVA_BYTE, 0));
      assertThrows(IllegalStateException.class, () -> slice.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
      assertThrows(IllegalStateException.class, () -> elements.get(ValueLayout.JAVA_LONG, 0));
      assertThrows(IllegalStateException.class, memory::segment);
      assertThrows(IllegalStateException.class, () -> memory.grow(1));
      assertThrows(IllegalStateException.class, () -> a.tables().get(0).elements());
      assertEquals(0x77, firstMemory(b).segment().get(ValueLayout.JAVA_BYTE, 0));
    }
  }

  /* ---- growth ---- */

  @Test
  void grow_declaredMaximum_stopsThere() {
    try (InstanceAllocation a = allocateInSmallPool(withMemory("g", 0, 3))) {
      LinearMemory memory = firstMemory(a);
      assertEquals(3, memory.maximumPages());
      assertEquals(0, memory.segment().byteSize());
      assertEquals(0, memory.grow(1));
      assertEquals(1, memory.grow(1));
      assertEquals(2, memory.grow(1));
      assertEquals(-1, memory.grow(1));
      assertEquals(3, memory.pages());
      assertEquals(3 * PAGE, memory.segment().byteSize());
      assertEquals(3, memory.grow(0));
      assertThrows(IllegalArgumentException.class, () -> memory.grow(-1));
    }
  }

  @Test
  void grow_unbounded_stopsAtMaxMemorySize_oldSegmentStaysValid() {
    PooledModule module = registerInSmallPool(withMemory("g", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = firstMemory(a);
      MemorySegment before = memory.segment();
      before.set(ValueLayout.JAVA_INT, 0, 42);
      assertEquals(10, memory.maximumPages());
      assertEquals(-1, memory.grow(10));
      assertEquals(1, memory.pages());
      assertEquals(1, memory.grow(9));
      assertEquals(42, memory.segment().get(ValueLayout.JAVA_INT, 0));
      assertEquals(42, before.get(ValueLayout.JAVA_INT, 0));
      assertEquals(10 * PAGE, slab().accessibleBytes(imageSlotOf(engine, a, 0).base(), 10 * PAGE));
    }
  }

  @ParameterizedTest(name = "guard {0}")
  @ValueSource(longs = {0, 65536})
  void grow_afterReuse_newPagesReadZero(long guard) {
    engine =
        engine(
            backend,
            smallPool().totalMemories(1).maxUnusedWarmSlots(0).build(),
            c -> c.memoryGuardSize(guard));
    PooledModule module = engine.register(withMemory("g", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      firstMemory(a).grow(4);
      firstMemory(a).segment().fill((byte) 0xFE);
    }
    try (InstanceAllocation b = module.allocate()) {
      LinearMemory memory = firstMemory(b);
      assertEquals(PAGE, memory.segment().byteSize());
      assertThrows(IndexOutOfBoundsException.class, () -> memory.segment().get(ValueLayout.JAVA_BYTE, 983040));
      memory.grow(4);
      assertAllZero(memory.segment());
    }
  }

  @Test
  void grow_backendRefuses_returnsMinusOne_slotErasedBeforeReuse() {
    engine = engine(backend, smallPool().totalMemories(1).build());
    PooledModule module = engine.register(withMemory("g", 1, -1));
    InstanceAllocation a = module.allocate();
    LinearMemory memory = firstMemory(a);
    memory.segment().fill((byte) 0xCC);
    backend.failNext("makeAccessible", 1);
    assertEquals(-1, memory.grow(1));
    assertEquals(1, memory.pages());
    assertEquals((byte) 0xCC, memory.segment().get(ValueLayout.JAVA_BYTE, 7), "still usable at its size");
    ImageSlot slot = imageSlotOf(engine, a, 0);
    a.close();
    assertEquals(ImageSlot.State.UNKNOWN, slot.state());
    try (InstanceAllocation b = module.allocate()) {
      assertAllZero(firstMemory(b).segment());
    }
  }

  /* ---- metrics ---- */

  @Test
  void metrics_keepResident64KiB_65536PerWarmSlot() {
    engine =
        engine(backend, smallPool().linearMemoryKeepResident(65536).tableKeepResident(4096).build());
    PooledModule module = engine.register(withMemoryAndTable("m", 2, 1));
    List<InstanceAllocation> live = List.of(module.allocate(), module.allocate(), module.allocate());
    PoolMetrics during = engine.metrics();
    PoolMetrics.Counters threeCold = new PoolMetrics.Counters(0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0);
    assertEquals(new PoolMetrics(3, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, threeCold), during);
    live.forEach(InstanceAllocation::close);
    PoolMetrics after = engine.metrics();
    PoolMetrics.Counters reset = new PoolMetrics.Counters(0, 0, 3, 0, 3, 0, 6, 0, 0, 0, 0);
    assertEquals(new PoolMetrics(0, 0, 0, 0, 0, 0, 3, 3, 0, 3 * 65536, 3 * 4096, 0, reset), after);
    assertTrue(backend.calls().contains("reset(0x10000, 0x20000, keep=0x10000)"), backend.calls().toString());
    try (InstanceAllocation again = module.allocate()) {
      assertEquals(2 * 65536, engine.metrics().unusedMemoryBytesResident(), "reuse takes one slot's bytes");
      assertEquals(1, engine.metrics().counters().memoryAffineTakes());
      assertEquals(1, engine.metrics().counters().tableWarmTakes());
      assertNotEquals(0, again.memories().size());
    }
  }

  @Test
  void metrics_keepResidentAboveAccessible_cappedAtAccessible() {
    engine = engine(backend, smallPool().linearMemoryKeepResident(1 << 20).build());
    engine.register(withMemory("m", 1, -1)).allocate().close();
    assertEquals(65536, engine.metrics().unusedMemoryBytesResident());
  }

  /* ---- concurrency ---- */

  @ParameterizedTest(name = "batch {0}")
  @ValueSource(ints = {1, 3})
  void concurrency_fourThreads_countsConserved_slotsNeverShared(int batch) throws InterruptedException {
    backend.stopRecordingCalls();
    engine =
        engine(
            backend,
            smallPool().totalMemories(3).totalTables(3).totalCoreInstances(3).decommitBatchSize(batch).build());
    Set<Integer> held = ConcurrentHashMap.newKeySet();
    Churn.tenants(
        engine,
        4,
        3000,
        (x, image, id, i) -> {
          int slot = slotOf(x, 0);
          if (!held.add(slot)) {
            throw new AssertionError("slot " + slot + " handed out twice");
          }
          try {
            MemorySegment memory = firstMemory(x).segment();
            assertEquals(image, text(memory, 4));
            assertAllZero(memory.asSlice(8));
            assertAllZero(x.tables().get(0).elements());
            memory.asSlice(8).fill((byte) id);
            if (i % 7 == 0) {
              firstMemory(x).grow(1);
            }
          } finally {
            held.remove(slot);
          }
        });
  }

  /* ---- engine close ---- */

  @Test
  void engineClose_withLiveAllocationAndPermit_closesThemThenAsserts() {
    PooledModule module = registerInSmallPool(withMemory("m", 1, -1, data(0, "x")));
    InstanceAllocation a = module.allocate();
    MemorySegment memory = firstMemory(a).segment();
    engine.acquire(AccountedResource.STACK);
    AssertionError e = assertThrows(AssertionError.class, engine::close);
    assertEquals(
        "engine closed with 1 instance allocation(s) and 1 resource permit(s) still open (they were"
            + " closed by the engine)",
        e.getMessage());
    assertTrue(a.isClosed());
    assertThrows(IllegalStateException.class, () -> memory.get(ValueLayout.JAVA_BYTE, 0));
    assertTrue(backend.isClosed());
    assertEquals(0, backend.openReservations().size());
    assertEquals(0, backend.openImages().size());
    assertThrows(IllegalStateException.class, module::allocate);
    assertThrows(IllegalStateException.class, () -> engine.register(Modules.empty("late")));
    engine = null;
  }

  @Test
  void engineClose_twice_doesNothingMore() {
    engine = engine(backend, smallPool().build());
    engine.close();
    engine.close();
    assertTrue(backend.isClosed());
  }

  @Test
  void engineAccessors() {
    engine = engine(backend, smallPool().build());
    assertEquals("fake", engine.backendName());
    assertEquals(10 * PAGE, engine.config().memoryReservation());
    assertFalse(engine.register(withMemory("x", 1, -1)).descriptor().memories().isEmpty());
  }
}
