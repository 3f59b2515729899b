package dev.wasmpool.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The Linux backend seen from outside the API: {@code /proc/self/maps} for mappings, {@code
 * /proc/self/fd} for descriptors and {@code /proc/self/smaps} for resident memory.
 */
@EnabledOnOs(OS.LINUX)
class LinuxProcfsTest {

  private LinuxBackend backend;
  private long page;

  @BeforeEach
  void createBackend() {
    backend = (LinuxBackend) new LinuxBackendProvider().create();
    page = backend.pageSize();
  }

  @AfterEach
  void closeBackend() {
    backend.close();
  }

  private static MemorySegment contents(long size) {
    byte[] bytes = new byte[Math.toIntExact(size)];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * 7 + 1);
    }
    return MemorySegment.ofArray(bytes);
  }

  @Test
  void revoke_accessesFailWithInternalError_rangeStaysReservedUntilClose() {
    // Issue 12 item 4: what Engine.close does to the slots of an instance still live on another
    // thread, whose confined views no other thread can close.
    LinuxReservation reservation = (LinuxReservation) backend.reserve(4 * page);
    long base = reservation.address();
    reservation.makeAccessible(0, 4 * page);
    MemorySegment memory = reservation.segment();
    memory.set(ValueLayout.JAVA_BYTE, page, (byte) 7);
    assertTrue(reservation.revoke(0, 2 * page));
    List<ProcSelf.Mapping> revoked = ProcSelf.mapsIn(base, base + 2 * page);
    assertEquals(1, revoked.size(), revoked.toString());
    assertTrue(revoked.get(0).path().contains(LinuxReservation.REVOKED_MEMFD_NAME), revoked.toString());
    assertEquals("rw-s", revoked.get(0).perms(), "readable, writable and empty: every access faults");
    assertThrows(InternalError.class, () -> memory.get(ValueLayout.JAVA_BYTE, page));
    assertThrows(InternalError.class, () -> memory.set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
    memory.set(ValueLayout.JAVA_BYTE, 3 * page, (byte) 9);
    assertEquals(9, memory.get(ValueLayout.JAVA_BYTE, 3 * page), "the rest is untouched");
    reservation.close();
    assertTrue(
        ProcSelf.mapsIn(base, base + 4 * page).stream()
            .noneMatch(m -> m.path().contains(LinuxReservation.REVOKED_MEMFD_NAME)),
        "close unmaps the revoked range too");
  }

  @Test
  void reserve_isOneInaccessibleAnonymousMapping() {
    try (LinuxReservation reservation = (LinuxReservation) backend.reserve(64 * page)) {
      long base = reservation.address();
      List<ProcSelf.Mapping> maps = ProcSelf.mapsIn(base, base + 64 * page);
      assertFalse(maps.isEmpty());
      for (ProcSelf.Mapping m : maps) {
        assertEquals("---p", m.perms(), m.toString());
        assertEquals(0, m.inode(), m.toString());
      }
      reservation.makeAccessible(0, 4 * page);
      assertTrue(
          ProcSelf.mapsIn(base, base + 4 * page).stream().allMatch(m -> m.perms().equals("rw-p")));
    }
  }

  @Test
  void close_unmapsTheWholeReservation() {
    LinuxReservation reservation = (LinuxReservation) backend.reserve(64 * page);
    long base = reservation.address();
    reservation.makeAccessible(0, 8 * page);
    reservation.close();
    assertEquals(List.of(), ProcSelf.mapsIn(base, base + 64 * page));
  }

  @Test
  void mapImage_showsMemfdAtSlotAddress_andRemoveImageDropsIt() {
    try (LinuxImage image = (LinuxImage) backend.createImage(contents(3 * page));
        LinuxReservation reservation = (LinuxReservation) backend.reserve(64 * page)) {
      long base = reservation.address();
      reservation.mapImage(4 * page, image);
      List<ProcSelf.Mapping> images =
          ProcSelf.mapsIn(base, base + 64 * page).stream().filter(ProcSelf.Mapping::isImage).toList();
      assertEquals(1, images.size(), images.toString());
      ProcSelf.Mapping mapping = images.getFirst();
      assertEquals(base + 4 * page, mapping.start());
      assertEquals(base + 7 * page, mapping.end());
      assertEquals("rw-p", mapping.perms(), "private: copy-on-write");
      assertEquals(ProcSelf.inodeOfDescriptor(image.fd()).orElseThrow(), mapping.inode());

      reservation.removeImage(4 * page);
      assertTrue(
          ProcSelf.mapsIn(base, base + 64 * page).stream().noneMatch(ProcSelf.Mapping::isImage),
          "no image mapping left in the reservation");
      assertTrue(
          ProcSelf.mapsIn(base + 4 * page, base + 7 * page).stream()
              .allMatch(m -> m.perms().equals("rw-p") && m.inode() == 0),
          "anonymous read-write pages replace the image");
    }
  }

  @Test
  void image_isSealedMemfd_andWritesThroughMappingsNeverReachIt() throws IOException {
    MemorySegment data = contents(2 * page + 10);
    try (LinuxImage image = (LinuxImage) backend.createImage(data);
        LinuxReservation reservation = (LinuxReservation) backend.reserve(8 * page)) {
      assertEquals("/memfd:" + LinuxImage.MEMFD_NAME + " (deleted)", ProcSelf.linkOfDescriptor(image.fd()));
      assertEquals(LinuxImage.SEALS, LibC.fcntl(image.fd(), LibC.F_GET_SEALS, 0));
      reservation.mapImage(0, image);
      reservation.segment().asSlice(0, 3 * page).fill((byte) 0x7E);
      byte[] file = Files.readAllBytes(Path.of("/proc/self/fd/" + image.fd()));
      byte[] expected = new byte[Math.toIntExact(3 * page)];
      MemorySegment.copy(data, 0, MemorySegment.ofArray(expected), 0, data.byteSize());
      assertArrayEquals(expected, file, "the memfd still holds the image");
    }
  }

  @Test
  void imageClose_releasesMemfdOnceNoReservationMapsIt() {
    LinuxImage image = (LinuxImage) backend.createImage(contents(page));
    int fd = image.fd();
    long inode = ProcSelf.inodeOfDescriptor(fd).orElseThrow();
    try (LinuxReservation reservation = (LinuxReservation) backend.reserve(8 * page)) {
      long base = reservation.address();
      reservation.mapImage(2 * page, image);
      image.close();
      // Still mapped: the slot keeps reading the image, so the file stays.
      assertTrue(ProcSelf.mapsIn(base, base + 8 * page).stream().anyMatch(m -> m.inode() == inode));
      assertEquals(1, reservation.segment().get(ValueLayout.JAVA_BYTE, 2 * page));
      reservation.removeImage(2 * page);
      assertFalse(ProcSelf.anyDescriptorOnInode(inode), "descriptor closed");
      assertTrue(
          ProcSelf.maps().stream().noneMatch(m -> m.inode() == inode && m.isImage()),
          "no mapping of the image anywhere in the process");
    }
  }

  @Test
  void imageClose_unmapped_releasesMemfdAtOnce() {
    LinuxImage image = (LinuxImage) backend.createImage(contents(page));
    long inode = ProcSelf.inodeOfDescriptor(image.fd()).orElseThrow();
    assertTrue(ProcSelf.anyDescriptorOnInode(inode));
    assertTrue(ProcSelf.maps().stream().anyMatch(m -> m.inode() == inode), "read-only view");
    image.close();
    assertFalse(ProcSelf.anyDescriptorOnInode(inode));
    assertTrue(ProcSelf.maps().stream().noneMatch(m -> m.inode() == inode && m.isImage()));
  }

  @Test
  void reservationClose_releasesClosedImageItMapped() {
    LinuxImage image = (LinuxImage) backend.createImage(contents(page));
    long inode = ProcSelf.inodeOfDescriptor(image.fd()).orElseThrow();
    LinuxReservation reservation = (LinuxReservation) backend.reserve(8 * page);
    reservation.mapImage(0, image);
    image.close();
    assertTrue(ProcSelf.anyDescriptorOnInode(inode));
    reservation.close();
    assertFalse(ProcSelf.anyDescriptorOnInode(inode));
    assertTrue(ProcSelf.maps().stream().noneMatch(m -> m.inode() == inode && m.isImage()));
  }

  @Test
  void reset_dropsResidentPages_exceptTheKeepResidentPrefix() {
    long pages = 1024;
    long touched = 512;
    // One inaccessible guard page at each end keeps the measured mapping from merging outside.
    try (LinuxReservation reservation = (LinuxReservation) backend.reserve((pages + 2) * page)) {
      long from = reservation.address() + page;
      long to = from + pages * page;
      reservation.makeAccessible(page, pages * page);
      assertEquals(0, ProcSelf.residentBytes(from, to), "nothing touched yet");

      touch(reservation, page, touched);
      long residentTouched = ProcSelf.residentBytes(from, to);
      assertTrue(residentTouched >= touched * page, "touched pages are resident: " + residentTouched);
      reservation.reset(page, pages * page);
      assertEquals(0, ProcSelf.residentBytes(from, to), "madvise(MADV_DONTNEED) freed them");

      long keep = 64 * page;
      touch(reservation, page, touched);
      reservation.reset(page, pages * page, keep);
      long residentKept = ProcSelf.residentBytes(from, to);
      assertTrue(residentKept >= keep, "the keep-resident prefix stays: " + residentKept);
      assertTrue(residentKept < residentTouched, "the rest was decommitted: " + residentKept);
    }
  }

  @Test
  void reset_ofImageRange_dropsCopiedPages() {
    try (LinuxImage image = (LinuxImage) backend.createImage(contents(64 * page));
        LinuxReservation reservation = (LinuxReservation) backend.reserve(128 * page)) {
      long from = reservation.address() + page;
      reservation.mapImage(page, image);
      touch(reservation, page, 64);
      assertTrue(ProcSelf.residentBytes(from, from + 64 * page) >= 64 * page);
      reservation.reset(page, 64 * page);
      assertEquals(0, ProcSelf.residentBytes(from, from + 64 * page));
      assertEquals(1, reservation.segment().get(ValueLayout.JAVA_BYTE, page), "image byte back");
    }
  }

  private void touch(LinuxReservation reservation, long offset, long pages) {
    MemorySegment memory = reservation.segment();
    for (long p = 0; p < pages; p++) {
      memory.set(ValueLayout.JAVA_BYTE, offset + p * page, (byte) 0x55);
    }
  }

  @Test
  void inodeOfDescriptor_closedDescriptor_isEmpty() {
    // Guards the helper the release tests rely on: a closed descriptor must read as absent.
    LinuxImage image = (LinuxImage) backend.createImage(contents(page));
    int fd = image.fd();
    image.close();
    OptionalLong inode = ProcSelf.inodeOfDescriptor(fd);
    assertTrue(
        inode.isEmpty() || !ProcSelf.linkOfDescriptor(fd).contains(LinuxImage.MEMFD_NAME),
        "descriptor " + fd + " no longer names the image");
  }
}
