package dev.wasmpool.api.internal.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.api.testing.FakeBackend.FakeReservation;
import dev.wasmpool.spi.BackendException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ImageSlotTest {

  private static final long PAGE = 65536;

  private final FakeBackend backend = FakeBackend.linuxLike();
  private final FakeReservation reservation = (FakeReservation) backend.reserve(16 * PAGE);
  private final List<ModuleImage> closed = new ArrayList<>();

  @AfterEach
  void close() {
    reservation.close();
    for (var image : backend.openImages()) {
      image.close();
    }
  }

  private ModuleImage image(long offset, byte value) {
    byte[] bytes = new byte[4096];
    bytes[0] = value;
    return new ModuleImage(offset, backend.createImage(MemorySegment.ofArray(bytes)), closed::add);
  }

  private ImageSlot slot(boolean shrink) {
    return new ImageSlot(reservation, PAGE, 8 * PAGE, shrink, false, null);
  }

  @Test
  void instantiate_coldSlot_accessibleThenImage() {
    ImageSlot slot = slot(false);
    assertEquals(ImageSlot.State.UNMAPPED, slot.state());
    ModuleImage image = image(4096, (byte) 7);
    slot.instantiate(2 * PAGE, image);
    assertEquals(
        List.of("makeAccessible(0x10000, 0x20000)", "mapImage(0x11000, 0x1000)"),
        backend.calls().subList(2, 4));
    assertEquals(ImageSlot.State.PREVIOUSLY_USED, slot.state());
    assertEquals(7, reservation.peek(PAGE + 4096));
    assertSame(image, slot.image());
    assertEquals(2 * PAGE, slot.accessibleBytes());
  }

  /**
   * A slot that ran {@code image} and was reset for reuse, after the module let go of the image:
   * the slot is its last holder.
   */
  private ImageSlot reusedSlotLastHolding(ModuleImage image) {
    ImageSlot slot = slot(false);
    slot.instantiate(PAGE, image);
    slot.resetForReuse(0);
    image.release();
    return slot;
  }

  @Test
  void instantiate_sameImageSameSize_noCall() {
    ImageSlot slot = slot(true);
    ModuleImage image = image(0, (byte) 1);
    slot.instantiate(PAGE, image);
    assertTrue(slot.resetForReuse(0));
    backend.clearCalls();
    slot.instantiate(PAGE, image);
    assertEquals(List.of(), backend.calls());
  }

  @Test
  void instantiate_otherImage_removedThenMapped_andReleased() {
    ModuleImage first = image(0, (byte) 1);
    ModuleImage second = image(0, (byte) 2);
    ImageSlot slot = reusedSlotLastHolding(first);
    assertTrue(first.isOpen());
    backend.clearCalls();
    slot.instantiate(PAGE, second);
    assertEquals(List.of("removeImage(0x10000)", "mapImage(0x10000, 0x1000)"), backend.calls());
    assertFalse(first.isOpen(), "the last holder closed the image");
    assertEquals(List.of(first), closed);
    assertEquals(2, reservation.peek(PAGE));
  }

  @Test
  void shrinkOnReuse_onlyWhenAsked() {
    ImageSlot keep = slot(false);
    keep.instantiate(PAGE, null);
    keep.grow(4 * PAGE);
    keep.resetForReuse(0);
    backend.clearCalls();
    keep.instantiate(PAGE, null);
    assertEquals(List.of(), backend.calls());
    assertEquals(4 * PAGE, keep.accessibleBytes());
  }

  @Test
  void resetForReuse_keepsResidentUpToAccessible() {
    ImageSlot slot = slot(false);
    slot.instantiate(PAGE, null);
    assertTrue(slot.resetForReuse(1 << 20));
    assertEquals(PAGE, slot.residentBytes());
    assertEquals("reset(0x10000, 0x10000, keep=0x10000)", backend.calls().getLast());
  }

  @Test
  void mapImageFailure_unknown_eraseRemovesNothingAndStartsOver() {
    ImageSlot slot = slot(true);
    ModuleImage image = image(0, (byte) 5);
    backend.failNext("mapImage", 1);
    assertThrows(BackendException.class, () -> slot.instantiate(PAGE, image));
    assertEquals(ImageSlot.State.UNKNOWN, slot.state());
    assertTrue(slot.purgeImage());
    assertEquals(ImageSlot.State.PREVIOUSLY_USED, slot.state());
    assertEquals(0, slot.accessibleBytes());
    assertFalse(reservation.isAccessible(PAGE, PAGE), "erased slots start inaccessible");
    image.release();
    assertFalse(image.isOpen(), "the failed mapping's hold was released by the erase");
  }

  @Test
  void purgeImage_dropsTheImagesResidentBytes() {
    ImageSlot slot = slot(false);
    ModuleImage image = image(4096, (byte) 9);
    slot.instantiate(2 * PAGE, image);
    slot.resetForReuse(PAGE);
    assertEquals(PAGE, slot.residentBytes());
    assertTrue(slot.purgeImage());
    assertNull(slot.image());
    assertEquals(PAGE - 4096, slot.residentBytes());
    assertEquals(0, reservation.peek(PAGE + 4096));
  }

  @Test
  void unknownAfterFailedGrow_resetSkipped_erasedOnNextInstantiate() {
    ImageSlot slot = slot(false);
    slot.instantiate(PAGE, null);
    MemorySegment memory = reservation.segment().asSlice(PAGE, PAGE);
    memory.fill((byte) 0x42);
    backend.failNext("makeAccessible", 1);
    assertThrows(BackendException.class, () -> slot.grow(2 * PAGE));
    assertFalse(slot.resetForReuse(0));
    assertEquals(0x42, reservation.peek(PAGE), "nothing was reset yet");
    slot.instantiate(PAGE, null);
    assertEquals(0, memory.get(ValueLayout.JAVA_BYTE, 0));
    assertEquals(ImageSlot.State.PREVIOUSLY_USED, slot.state());
  }

  @Test
  void removeImageFailure_unknown_eraseCopesWithTheImageGone() {
    ModuleImage first = image(0, (byte) 1);
    ModuleImage second = image(0, (byte) 2);
    ImageSlot slot = reusedSlotLastHolding(first);
    backend.failNext("removeImage", 1);
    assertThrows(BackendException.class, () -> slot.instantiate(PAGE, second));
    assertEquals(ImageSlot.State.UNKNOWN, slot.state());
    assertTrue(first.isOpen(), "still held until the erase");
    slot.instantiate(PAGE, second);
    assertFalse(first.isOpen(), "the erase let go of the image the refused removal dropped");
    assertEquals(2, reservation.peek(PAGE));
    assertTrue(reservation.isAccessible(PAGE, PAGE));
  }
}
