package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.PAGE;
import static dev.wasmpool.api.internal.engine.EngineFixture.imageSlotOf;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 item 6 on the real portable backend: a live tenant's memory grows while its slot holds
 * about its current size (the storage moves, the old views end, the old storage is freed), and a
 * view kept from before a growth fails cleanly or is retried, never reaching freed memory.
 */
class PortableGrowthTest {

  private final EngineImpl engine =
      (EngineImpl)
          Engine.create(
              EngineConfig.builder()
                  .backend("portable")
                  .memoryReservation(512 * PAGE)
                  .allocationStrategy(
                      AllocationStrategy.pooling(
                          PoolingAllocationConfig.builder()
                              .totalMemories(2)
                              .totalTables(2)
                              .maxMemorySize(512 * PAGE)
                              .build()))
                  .build());

  @AfterEach
  void closeEngine() {
    engine.close();
  }

  @Test
  void grow_pageByPageTo262_holdsAtMostTwiceItsSizeAtEveryStep() {
    PooledModule module = engine.register(withMemory("flite", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = a.memories().get(0);
      Reservation reservation = imageSlotOf(engine, a, 0).reservation();
      // Both kinds of view in use, as a runtime that is also reached from another thread has.
      memory.localSegment().set(ValueLayout.JAVA_INT, 0, 0xF1173);
      memory.segment().set(ValueLayout.JAVA_INT, 4, 1);
      long peak = 0;
      int moves = 0;
      for (long pages = 2; pages <= 262; pages++) {
        MemorySegment before = memory.localSegment();
        MemorySegment beforeShared = memory.segment();
        assertEquals(pages - 1, memory.grow(1));
        MemorySegment local = memory.localSegment();
        local.set(ValueLayout.JAVA_INT, (pages - 1) * PAGE, (int) pages);
        assertEquals((int) pages, memory.segment().get(ValueLayout.JAVA_INT, (pages - 1) * PAGE));
        long held = reservation.residentBytes();
        long size = pages * PAGE;
        assertTrue(held >= size, pages + " pages: holds every accessible byte, held " + held);
        assertTrue(held <= 2 * size, pages + " pages: at most twice the size, held " + held);
        peak = Math.max(peak, held);
        if (local.address() != before.address()) {
          moves++;
          // The growth moved the storage: the old views ended before it was freed.
          assertThrows(IllegalStateException.class, () -> before.get(ValueLayout.JAVA_INT, 0));
          assertThrows(IllegalStateException.class, () -> beforeShared.get(ValueLayout.JAVA_INT, 0));
        } else {
          assertEquals(0xF1173, before.get(ValueLayout.JAVA_INT, 0), "not moved: still valid");
        }
      }
      assertEquals(0xF1173, memory.segment().get(ValueLayout.JAVA_INT, 0), "contents carried");
      assertEquals(1, memory.localSegment().get(ValueLayout.JAVA_INT, 4));
      assertTrue(moves >= 8 && moves <= 10, "doubling: a move per power of two, not per page: " + moves);
      System.out.printf(
          "portable memory grown 1 -> 262 pages (%d bytes) with its tenant live: peak held %d bytes,"
              + " at the end %d bytes, %d moves%n",
          262 * PAGE, peak, reservation.residentBytes(), moves);
    }
  }

  @Test
  void staleViews_ofAMovedMemory_failCleanlyOnTheOwnerAndOnAnotherThread() throws Exception {
    PooledModule module = engine.register(withMemory("m", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = a.memories().get(0);
      MemorySegment local = memory.localSegment();
      MemorySegment shared = memory.segment();
      local.set(ValueLayout.JAVA_LONG, 0, 0x0123456789L);
      Reservation reservation = imageSlotOf(engine, a, 0).reservation();

      assertEquals(1, memory.grow(7));
      assertNotEquals(local.address(), memory.localSegment().address(), "the storage moved");
      assertEquals(8 * PAGE, reservation.residentBytes(), "the old storage was freed");
      assertThrows(IllegalStateException.class, () -> local.get(ValueLayout.JAVA_LONG, 0));
      assertThrows(IllegalStateException.class, () -> local.set(ValueLayout.JAVA_LONG, 0, 1L));
      assertThrows(IllegalStateException.class, () -> shared.get(ValueLayout.JAVA_LONG, 0));
      Throwable onOtherThread = onAnotherThread(() -> shared.get(ValueLayout.JAVA_LONG, 0));
      assertTrue(onOtherThread instanceof IllegalStateException, String.valueOf(onOtherThread));
      assertEquals(0x0123456789L, memory.segment().get(ValueLayout.JAVA_LONG, 0));
      assertEquals(null, onAnotherThread(() -> memory.segment().get(ValueLayout.JAVA_LONG, 0)));
    }
  }

  @Test
  void growthOnAnotherThread_keepsTheOwnersViewUntilItCatchesUp() throws Exception {
    PooledModule module = engine.register(withMemory("m", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = a.memories().get(0);
      MemorySegment local = memory.localSegment();
      local.set(ValueLayout.JAVA_INT, 16, 77);
      Reservation reservation = imageSlotOf(engine, a, 0).reservation();

      assertEquals(null, onAnotherThread(() -> assertEquals(1, memory.grow(3))));
      // That thread could not end the owner's confined view: the old storage stays allocated.
      assertEquals(77, local.get(ValueLayout.JAVA_INT, 16), "the owner's old view reaches kept memory");
      assertEquals(4 * PAGE + PAGE, reservation.residentBytes(), "new storage and the kept one");

      MemorySegment current = memory.localSegment();
      assertEquals(4 * PAGE, current.byteSize());
      assertEquals(77, current.get(ValueLayout.JAVA_INT, 16));
      assertThrows(IllegalStateException.class, () -> local.get(ValueLayout.JAVA_INT, 16));
      assertEquals(4 * PAGE, reservation.residentBytes(), "caught up: the old storage was freed");
    }
  }

  @Test
  void slotMemory_viewEndedByGrowth_retriesOnTheCurrentView_notAClosedInstance() throws Exception {
    PooledModule module = engine.register(withMemory("m", 1, -1));
    InstanceAllocation a = module.allocate();
    LinearMemory linear = a.memories().get(0);
    ViewMemory memory = new ViewMemory(linear, 512);
    memory.writeI32(8, 1234);
    // Another thread's access switches the runtime's view to the shared segment.
    assertEquals(null, onAnotherThread(() -> assertEquals(1234, memory.readInt(8))));
    MemorySegment old = memory.segment();

    // The slot grows underneath the runtime's view (a host call growing the LinearMemory itself):
    // the views it holds end with the old storage.
    assertEquals(1, linear.grow(3));
    assertThrows(IllegalStateException.class, () -> old.get(ValueLayout.JAVA_INT, 8));
    assertEquals(null, onAnotherThread(() -> assertEquals(1234, memory.readInt(8))));
    assertEquals(1234, memory.readInt(8), "retried on the current view by the owner too");
    memory.writeI32(12, 5678);
    assertEquals(5678, linear.localSegment().get(ValueLayout.JAVA_INT, 12), "written to the current storage");

    a.close();
    IllegalStateException closed = assertThrows(IllegalStateException.class, () -> memory.readInt(8));
    assertTrue(closed.getMessage().contains("belongs to a closed instance"), closed.getMessage());
    assertFalse(memory.isRevoked());
  }

  /** Runs {@code access} on a new thread; what it threw, or {@code null}. */
  private static Throwable onAnotherThread(Runnable access) throws InterruptedException {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t =
        Thread.ofPlatform()
            .start(
                () -> {
                  try {
                    access.run();
                  } catch (Throwable e) {
                    failure.set(e);
                  }
                });
    t.join();
    return failure.get();
  }
}
