package dev.wasmpool.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The portable reservation's memory: allocated as needed, and no more than the slot uses. */
class PortableReservationTest {

  private static final long PAGE = PortableBackend.PAGE_SIZE;

  /** A WebAssembly page. */
  private static final long WASM_PAGE = 64 << 10;

  private PortableBackend backend;

  @BeforeEach
  void createBackend() {
    backend = (PortableBackend) new PortableBackendProvider().create();
  }

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  @Test
  void reserve_allocatesNothingUntilAccessible() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(64L << 30)) {
      assertEquals(0, reservation.capacity());
      assertEquals(0, reservation.residentBytes());
      assertEquals(0, reservation.segment().byteSize());
      reservation.makeInaccessible(0, 1L << 30);
      reservation.reset(0, 1L << 30);
      assertEquals(0, reservation.capacity(), "resets of never-accessible memory allocate nothing");
      reservation.makeAccessible(PAGE, PAGE);
      assertEquals(2 * PAGE, reservation.capacity());
      assertEquals(2 * PAGE, reservation.residentBytes());
    }
  }

  @Test
  void growth_whileASegmentIsOut_keepsTheOldOneAliveAndCarriesContents() {
    PortableReservation reservation = (PortableReservation) backend.reserve(64 * PAGE);
    reservation.makeAccessible(0, PAGE);
    MemorySegment stale = reservation.segment();
    stale.set(ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);

    reservation.makeAccessible(PAGE, 30 * PAGE);
    MemorySegment current = reservation.segment();
    assertNotEquals(stale.address(), current.address(), "a new, larger segment");
    assertEquals(0x1122334455667788L, current.get(ValueLayout.JAVA_LONG, 8), "contents carried");
    assertEquals(2, reservation.generations());
    assertEquals(1, reservation.keptSegments());
    assertEquals(31 * PAGE + PAGE, reservation.residentBytes(), "the current and the kept one");

    // The stale view still reaches allocated memory: reads the old bytes, writes go nowhere.
    assertEquals(0x1122334455667788L, stale.get(ValueLayout.JAVA_LONG, 8));
    stale.set(ValueLayout.JAVA_LONG, 8, 42);
    assertEquals(0x1122334455667788L, current.get(ValueLayout.JAVA_LONG, 8));

    reservation.close();
    // After close every view fails cleanly instead of touching freed memory.
    assertThrows(IllegalStateException.class, () -> stale.get(ValueLayout.JAVA_LONG, 8));
    assertThrows(IllegalStateException.class, () -> current.get(ValueLayout.JAVA_LONG, 8));
    assertEquals(0, reservation.residentBytes());
  }

  @Test
  void growth_whileASegmentIsOut_doublesAndStopsAtReservationSize() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(100 * PAGE)) {
      reservation.makeAccessible(0, PAGE);
      reservation.segment();
      assertEquals(PAGE, reservation.capacity());
      reservation.makeAccessible(PAGE, PAGE);
      assertEquals(2 * PAGE, reservation.capacity());
      reservation.makeAccessible(2 * PAGE, PAGE);
      assertEquals(4 * PAGE, reservation.capacity());
      reservation.makeAccessible(4 * PAGE, PAGE);
      assertEquals(8 * PAGE, reservation.capacity());
      reservation.makeAccessible(5 * PAGE, PAGE);
      assertEquals(8 * PAGE, reservation.capacity(), "already covered");
      reservation.makeAccessible(8 * PAGE, 40 * PAGE);
      assertEquals(48 * PAGE, reservation.capacity(), "jumps to the needed end");
      reservation.makeAccessible(48 * PAGE, PAGE);
      assertEquals(96 * PAGE, reservation.capacity());
      reservation.makeAccessible(96 * PAGE, PAGE);
      assertEquals(100 * PAGE, reservation.capacity(), "capped at the reservation");
      assertEquals(100 * PAGE, reservation.segment().byteSize());
      assertEquals(7, reservation.generations());
      assertEquals(6, reservation.keptSegments());
      assertEquals(
          (100 + 1 + 2 + 4 + 8 + 48 + 96) * PAGE,
          reservation.residentBytes(),
          "kept segments sum to less than twice the current one");
    }
  }

  @Test
  void growth_beforeAnySegmentIsOut_isExactAndFreesTheOldAtOnce() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(100 * PAGE)) {
      for (long pages = 1; pages <= 20; pages++) {
        reservation.makeAccessible((pages - 1) * PAGE, PAGE);
        assertEquals(pages * PAGE, reservation.capacity());
        assertEquals(pages * PAGE, reservation.residentBytes());
        assertEquals(0, reservation.keptSegments());
      }
      assertEquals(20, reservation.generations());
    }
  }

  @Test
  void releaseReplacedSegments_freesTheKeptOnes_andKeepsTheCurrentHandedOut() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(64 * PAGE)) {
      reservation.makeAccessible(0, PAGE);
      reservation.segment().set(ValueLayout.JAVA_LONG, 8, 0x55AA);
      reservation.makeAccessible(PAGE, PAGE);
      MemorySegment current = reservation.segment();
      assertEquals(1, reservation.keptSegments());
      assertEquals(3 * PAGE, reservation.residentBytes(), "the current two pages and the kept one");

      reservation.releaseReplacedSegments();
      assertEquals(0, reservation.keptSegments());
      assertEquals(2 * PAGE, reservation.residentBytes(), "only the current segment");
      assertEquals(0x55AA, current.get(ValueLayout.JAVA_LONG, 8), "the current one untouched");

      // The current segment is still out: the next growth keeps it, and doubles.
      reservation.makeAccessible(2 * PAGE, PAGE);
      assertEquals(1, reservation.keptSegments());
      assertEquals(2 * PAGE, current.byteSize());
      assertEquals(0x55AA, current.get(ValueLayout.JAVA_LONG, 8), "kept, still allocated");
      assertEquals(4 * PAGE + 2 * PAGE, reservation.residentBytes());
    }
  }

  @Test
  void releaseReplacedSegments_afterClose_fails() {
    PortableReservation reservation = (PortableReservation) backend.reserve(4 * PAGE);
    reservation.close();
    assertThrows(dev.wasmpool.spi.BackendException.class, reservation::releaseReplacedSegments);
  }

  @Test
  void slotGrownPageByPage_releasingReplacedSegments_holdsAtMostTwiceItsSize() {
    // The pool's protocol on this backend: after each growth it remakes its views from the new
    // segment, ends the old ones, then releases the replaced segments.
    try (PortableReservation reservation = (PortableReservation) backend.reserve(4096 * WASM_PAGE)) {
      long peak = growPageByPageTo262(reservation, true, 2);
      System.out.printf(
          "portable slot, 262 pages grown from 1, replaced segments released: peak held %d bytes,"
              + " %d segments%n",
          peak, reservation.generations());
    }
  }

  /**
   * Grows a fresh reservation from one WebAssembly page to 262, one at a time, re-reading the
   * segment and writing through it after each growth, as the pool runs a tenant; checks at every
   * step that it holds at least the accessible bytes and at most {@code factor} times them, and at
   * the end that the contents were carried.
   *
   * @return the peak held
   */
  private static long growPageByPageTo262(PortableReservation reservation, boolean release, int factor) {
    reservation.makeAccessible(0, WASM_PAGE);
    MemorySegment view = reservation.segment();
    view.set(ValueLayout.JAVA_INT, 0, 0xCAFE);
    long peak = reservation.residentBytes();
    for (long pages = 2; pages <= 262; pages++) {
      reservation.makeAccessible((pages - 1) * WASM_PAGE, WASM_PAGE);
      view = reservation.segment();
      if (release) {
        reservation.releaseReplacedSegments();
        assertEquals(0, reservation.keptSegments());
      }
      view.set(ValueLayout.JAVA_INT, (pages - 1) * WASM_PAGE, (int) pages);
      long held = reservation.residentBytes();
      assertTrue(held >= pages * WASM_PAGE, "holds every accessible byte: " + held);
      assertTrue(held <= factor * pages * WASM_PAGE, "at most " + factor + " times the size: " + held);
      peak = Math.max(peak, held);
    }
    assertEquals(0xCAFE, view.get(ValueLayout.JAVA_INT, 0), "contents carried through growth");
    assertEquals(262, view.get(ValueLayout.JAVA_INT, 261 * WASM_PAGE));
    return peak;
  }

  @Test
  void slotGrownPageByPage_holdsAboutItsSize_andAfterResetOnlyItsSize() {
    long slot = 4096 * WASM_PAGE;
    long finalSize = 262 * WASM_PAGE;
    try (PortableReservation reservation = (PortableReservation) backend.reserve(slot)) {
      // A tenant whose views cannot be ended (the replaced segments are not released): each
      // replaced segment is kept until the reset.
      long peak = growPageByPageTo262(reservation, false, 4);
      MemorySegment view = reservation.segment();
      int grownGenerations = reservation.generations();
      System.out.printf(
          "portable slot, 262 pages grown from 1: peak held %d bytes, at close of tenant %d bytes,"
              + " %d segments%n",
          peak, reservation.residentBytes(), grownGenerations);

      // The tenant is done: its views are dead, the pool resets every accessible byte.
      MemorySegment stale = view;
      reservation.reset(0, finalSize);
      System.out.printf("portable slot after reset: held %d bytes%n", reservation.residentBytes());
      assertEquals(finalSize, reservation.residentBytes(), "after reset: exactly its size");
      assertEquals(0, reservation.keptSegments(), "no segment of the growth is kept");
      assertThrows(
          IllegalStateException.class,
          () -> stale.get(ValueLayout.JAVA_INT, 0),
          "the old segments were freed, not leaked");
      assertEquals(0, reservation.segment().get(ValueLayout.JAVA_INT, 0), "reset to zero");

      // The next tenant of the same module: shrunk to its initial size, then grown again, all
      // inside the memory the slot already holds.
      reservation.makeInaccessible(WASM_PAGE, finalSize - WASM_PAGE);
      reservation.segment();
      for (long pages = 2; pages <= 262; pages++) {
        reservation.makeAccessible((pages - 1) * WASM_PAGE, WASM_PAGE);
        assertEquals(finalSize, reservation.residentBytes());
      }
      assertEquals(grownGenerations + 1, reservation.generations(), "one allocation, at the reset");
      assertEquals(0, reservation.segment().get(ValueLayout.JAVA_INT, 261 * WASM_PAGE));
    }
  }

  @Test
  void partialReset_keepsTheReplacedSegments() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(16 * PAGE)) {
      reservation.makeAccessible(0, PAGE);
      MemorySegment stale = reservation.segment();
      reservation.makeAccessible(PAGE, 3 * PAGE);
      reservation.reset(0, 2 * PAGE);
      assertEquals(1, reservation.keptSegments(), "accessible bytes outside the reset: views live on");
      assertEquals(0, stale.get(ValueLayout.JAVA_BYTE, 0));
      reservation.reset(0, 4 * PAGE);
      assertEquals(0, reservation.keptSegments());
      assertEquals(4 * PAGE, reservation.residentBytes());
    }
  }

  @Test
  void wholeReset_shrinksToTheBytesStillBooked() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(64 * PAGE);
        var image = backend.createImage(MemorySegment.ofArray(new byte[] {5, 6, 7}))) {
      reservation.makeAccessible(0, 8 * PAGE);
      reservation.segment();
      reservation.makeAccessible(8 * PAGE, 4 * PAGE); // capacity doubles past the need
      assertEquals(16 * PAGE, reservation.capacity());
      reservation.reset(0, 12 * PAGE);
      assertEquals(12 * PAGE, reservation.residentBytes(), "the kept one freed, the current shrunk");
      reservation.makeInaccessible(0, 12 * PAGE);
      reservation.mapImage(4 * PAGE, image);
      reservation.reset(0, 64 * PAGE);
      assertEquals(5 * PAGE, reservation.residentBytes(), "only up to the image's end");
      assertEquals(7, reservation.segment().get(ValueLayout.JAVA_BYTE, 4 * PAGE + 2));
      reservation.removeImage(4 * PAGE);
      reservation.makeInaccessible(0, 64 * PAGE);
      reservation.reset(0, 64 * PAGE);
      assertEquals(0, reservation.residentBytes(), "nothing booked, nothing held");
    }
  }

  @Test
  void growthInOneRange_whileAnotherIsMappedAndReset_losesNothing() throws Exception {
    // The books let operations on disjoint ranges run at once; growth replaces the whole segment,
    // so it must not race with another range's writes.
    byte[] contents = new byte[(int) (2 * PAGE)];
    java.util.Arrays.fill(contents, (byte) 0x5A);
    try (PortableReservation reservation = (PortableReservation) backend.reserve(1024 * PAGE);
        var image = backend.createImage(MemorySegment.ofArray(contents))) {
      reservation.makeAccessible(0, 8 * PAGE);
      Thread grower =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (long page = 8; page < 1024; page++) {
                      reservation.makeAccessible(page * PAGE, PAGE);
                      reservation.segment();
                    }
                  });
      for (int i = 0; i < 2000; i++) {
        reservation.mapImage(2 * PAGE, image);
        assertEquals(0x5A, reservation.segment().get(ValueLayout.JAVA_BYTE, 3 * PAGE + i % PAGE));
        reservation.reset(0, 8 * PAGE);
        assertEquals(0x5A, reservation.segment().get(ValueLayout.JAVA_BYTE, 2 * PAGE + i % PAGE));
        reservation.removeImage(2 * PAGE);
        assertEquals(0, reservation.segment().get(ValueLayout.JAVA_BYTE, 2 * PAGE + i % PAGE));
      }
      grower.join();
      assertEquals(1024 * PAGE, reservation.capacity());
    }
  }

  @Test
  void mapImage_growsToCoverTheImage() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(64 * PAGE);
        var image = backend.createImage(MemorySegment.ofArray(new byte[] {1, 2, 3}))) {
      reservation.mapImage(20 * PAGE, image);
      assertEquals(21 * PAGE, reservation.capacity());
      assertEquals(3, reservation.segment().get(ValueLayout.JAVA_BYTE, 20 * PAGE + 2));
    }
  }
}
