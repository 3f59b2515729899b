package dev.wasmpool.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The portable reservation's lazy, growing backing memory. */
class PortableReservationTest {

  private static final long PAGE = PortableBackend.PAGE_SIZE;

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
      assertEquals(0, reservation.segment().byteSize());
      reservation.makeInaccessible(0, 1L << 30);
      reservation.reset(0, 1L << 30);
      assertEquals(0, reservation.capacity(), "resets of never-accessible memory allocate nothing");
      reservation.makeAccessible(PAGE, PAGE);
      assertEquals(2 * PAGE, reservation.capacity());
    }
  }

  @Test
  void growth_keepsOldSegmentAliveAndCarriesContents() {
    PortableReservation reservation = (PortableReservation) backend.reserve(64 * PAGE);
    reservation.makeAccessible(0, PAGE);
    MemorySegment stale = reservation.segment();
    stale.set(ValueLayout.JAVA_LONG, 8, 0x1122334455667788L);

    reservation.makeAccessible(PAGE, 30 * PAGE);
    MemorySegment current = reservation.segment();
    assertNotEquals(stale.address(), current.address(), "a new, larger segment");
    assertEquals(0x1122334455667788L, current.get(ValueLayout.JAVA_LONG, 8), "contents carried");
    assertEquals(2, reservation.generations());

    // The stale view still reaches allocated memory: reads the old bytes, writes go nowhere.
    assertEquals(0x1122334455667788L, stale.get(ValueLayout.JAVA_LONG, 8));
    stale.set(ValueLayout.JAVA_LONG, 8, 42);
    assertEquals(0x1122334455667788L, current.get(ValueLayout.JAVA_LONG, 8));

    reservation.close();
    // After close every view fails cleanly instead of touching freed memory.
    assertThrows(IllegalStateException.class, () -> stale.get(ValueLayout.JAVA_LONG, 8));
    assertThrows(IllegalStateException.class, () -> current.get(ValueLayout.JAVA_LONG, 8));
  }

  @Test
  void growth_doublesAndStopsAtReservationSize() {
    try (PortableReservation reservation = (PortableReservation) backend.reserve(100 * PAGE)) {
      reservation.makeAccessible(0, PAGE);
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
