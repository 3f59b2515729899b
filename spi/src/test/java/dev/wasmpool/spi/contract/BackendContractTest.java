package dev.wasmpool.spi.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import dev.wasmpool.spi.Support;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link Backend} must show, run against each backend by a subclass that names
 * its provider.
 *
 * <p>Shipped in {@code wasmpool-spi}'s test-jar. It lives in its own package, {@code
 * dev.wasmpool.spi.contract}, and not in {@code dev.wasmpool.spi}: the test-jar is not a module, so
 * in a backend's module tests it sits on the class path, and a class-path class in a package of the
 * named module {@code dev.wasmpool.spi} would never be found (split package). A subclass inside a
 * backend's module reads it because Surefire adds {@code --add-reads <module>=ALL-UNNAMED}.
 *
 * <p>Tests never touch an inaccessible byte: on Linux that would crash the JVM, not fail a test.
 * Each test closes what it opens; {@link #closeBackend()} closes the backend afterwards, which fails
 * if a reservation or image leaked.
 */
public abstract class BackendContractTest {

  /** The backend under test; created before each test. */
  protected Backend backend;

  /** Its page size. */
  protected long page;

  /**
   * The provider of the backend under test.
   *
   * @return a provider that is supported on this machine
   */
  protected abstract BackendProvider provider();

  @BeforeEach
  final void createBackend() {
    BackendProvider provider = provider();
    Support support = provider.support();
    assertTrue(support.supported(), () -> provider.name() + " is unsupported: " + support.reason());
    backend = provider.create();
    page = backend.pageSize();
  }

  @AfterEach
  final void closeBackend() {
    backend.close();
  }

  /* ---- provider and backend ---- */

  @Test
  void provider_createsBackendOfItsName() {
    assertEquals(provider().name(), backend.name());
    assertEquals(backend.name().toLowerCase(Locale.ROOT), backend.name());
  }

  @Test
  void pageSize_isPositivePowerOfTwo() {
    assertTrue(page > 0 && Long.bitCount(page) == 1, "page size " + page);
  }

  @Test
  void protectionKeys_matchCapabilities() {
    Capabilities capabilities = backend.capabilities();
    ProtectionKeys keys = backend.protectionKeys();
    if (capabilities.protectionKeys() == 0) {
      assertSame(ProtectionKeys.NONE, keys);
      assertTrue(keys.allocate(4).isEmpty());
      assertEquals(0, keys.rights());
      keys.setRights(0);
      assertThrows(BackendException.class, () -> keys.setRights(0b1100));
    } else {
      List<ProtectionKey> allocated = keys.allocate(1);
      assertEquals(1, allocated.size());
      assertEquals(allocated, keys.allocate(1), "keys are allocated once per process");
    }
  }

  @Test
  void close_twice_isNoOp() {
    backend.close();
    backend.close();
  }

  @Test
  void close_withOpenReservationOrImage_refusesUntilTheyAreClosed() {
    Reservation reservation = backend.reserve(page);
    MemoryImage image = backend.createImage(pattern(10, 1));
    assertThrows(BackendException.class, backend::close);
    reservation.close();
    assertThrows(BackendException.class, backend::close);
    image.close();
    backend.close();
    assertThrows(BackendException.class, () -> backend.reserve(page));
    assertThrows(BackendException.class, () -> backend.createImage(pattern(10, 1)));
  }

  /* ---- reserve / makeAccessible / makeInaccessible ---- */

  @Test
  void reserve_invalidSize_rejected() {
    for (long size : new long[] {0, -page, page + 1, page / 2, Long.MIN_VALUE, Long.MAX_VALUE}) {
      assertThrows(BackendException.class, () -> backend.reserve(size), "size " + size);
    }
  }

  @Test
  void reserve_moreThanPhysicalMemory_succeeds() {
    // 64 GiB: more than a test machine's memory, fine for address space or lazy commit.
    try (Reservation reservation = backend.reserve(64L << 30)) {
      assertEquals(64L << 30, reservation.byteSize());
      reservation.makeAccessible(0, page);
      segment(reservation).set(ValueLayout.JAVA_BYTE, 0, (byte) 7);
      assertEquals(7, segment(reservation).get(ValueLayout.JAVA_BYTE, 0));
    }
  }

  @Test
  void makeAccessible_readsZeroAndHoldsWrites() {
    try (Reservation reservation = backend.reserve(16 * page)) {
      reservation.makeAccessible(0, 16 * page);
      assertTrue(segment(reservation).byteSize() >= 16 * page);
      assertZero(reservation, 0, 16 * page);
      MemorySegment data = pattern(16 * page, 3);
      segment(reservation).copyFrom(data);
      assertBytes(reservation, 0, data);
    }
  }

  @Test
  void makeAccessible_partOfReservation_coversThatPart() {
    try (Reservation reservation = backend.reserve(64 * page)) {
      reservation.makeAccessible(40 * page, 2 * page);
      assertTrue(segment(reservation).byteSize() >= 42 * page);
      assertZero(reservation, 40 * page, 2 * page);
      fill(reservation, 40 * page, 2 * page, (byte) 0x11);
      assertFilled(reservation, 40 * page, 2 * page, (byte) 0x11);
    }
  }

  @Test
  void makeInaccessible_keepsContentsUntilAccessibleAgain() {
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.makeAccessible(0, 8 * page);
      MemorySegment data = pattern(8 * page, 5);
      segment(reservation).copyFrom(data);
      reservation.makeInaccessible(2 * page, 4 * page);
      reservation.makeAccessible(2 * page, 4 * page);
      assertBytes(reservation, 0, data);
    }
  }

  @Test
  void zeroLength_doesNothing() {
    try (Reservation reservation = backend.reserve(4 * page)) {
      reservation.makeAccessible(4 * page, 0);
      reservation.makeAccessible(0, 0);
      reservation.makeInaccessible(page, 0);
      reservation.reset(0, 0);
      reservation.reset(4 * page, 0, page);
      reservation.makeAccessible(0, page);
      fill(reservation, 0, page, (byte) 9);
      reservation.reset(0, 0);
      assertFilled(reservation, 0, page, (byte) 9);
    }
  }

  @Test
  void segment_coversReservationOrAccessibleBytes() {
    try (Reservation reservation = backend.reserve(32 * page);
        MemoryImage image = backend.createImage(pattern(2 * page, 1))) {
      MemorySegment first = reservation.segment();
      reservation.makeAccessible(0, page);
      reservation.mapImage(20 * page, image);
      MemorySegment later = reservation.segment();
      if (backend.capabilities().virtualReservation()) {
        assertEquals(32 * page, first.byteSize());
        assertEquals(first.address(), later.address());
        assertEquals(first.byteSize(), later.byteSize());
      } else {
        assertTrue(later.byteSize() >= 22 * page, "covers the image: " + later.byteSize());
        assertTrue(later.byteSize() <= 32 * page, "never beyond the reservation");
      }
    }
  }

  /* ---- reset ---- */

  @Test
  void reset_restoresZeroAndKeepsRangeAccessible() {
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.makeAccessible(0, 8 * page);
      fill(reservation, 0, 8 * page, (byte) 0x5A);
      reservation.reset(0, 8 * page);
      assertZero(reservation, 0, 8 * page);
      fill(reservation, 0, 8 * page, (byte) 0x3C);
      assertFilled(reservation, 0, 8 * page, (byte) 0x3C);
    }
  }

  @Test
  void reset_touchesOnlyItsRange() {
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.makeAccessible(0, 8 * page);
      MemorySegment data = pattern(8 * page, 7);
      segment(reservation).copyFrom(data);
      reservation.reset(2 * page, 3 * page);
      assertBytes(reservation, 0, data.asSlice(0, 2 * page));
      assertZero(reservation, 2 * page, 3 * page);
      assertBytes(reservation, 5 * page, data.asSlice(5 * page, 3 * page));
    }
  }

  @Test
  void reset_ofInaccessibleRange_readsBaselineOnceAccessible() {
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.makeAccessible(0, 8 * page);
      fill(reservation, 0, 8 * page, (byte) 0x42);
      reservation.makeInaccessible(0, 4 * page);
      reservation.reset(0, 8 * page);
      reservation.makeAccessible(0, 4 * page);
      assertZero(reservation, 0, 8 * page);
    }
  }

  @Test
  void reset_keepResidentBeyondLength_isClamped() {
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.makeAccessible(0, 2 * page);
      fill(reservation, 0, 2 * page, (byte) 0x21);
      reservation.reset(0, 2 * page, 100 * page);
      assertZero(reservation, 0, 2 * page);
    }
  }

  @Test
  void reset_keepResidentOverInaccessiblePages_rejectedBeforeAnyChange() {
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.makeAccessible(0, 2 * page);
      fill(reservation, 0, 2 * page, (byte) 0x31);
      assertThrows(BackendException.class, () -> reservation.reset(0, 4 * page, 4 * page));
      assertFilled(reservation, 0, 2 * page, (byte) 0x31);
      reservation.reset(0, 4 * page, 2 * page); // the prefix that is accessible is fine
      assertZero(reservation, 0, 2 * page);
    }
  }

  @Test
  void reset_invalidKeepResident_rejected() {
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.makeAccessible(0, 8 * page);
      assertThrows(BackendException.class, () -> reservation.reset(0, 8 * page, -page));
      assertThrows(BackendException.class, () -> reservation.reset(0, 8 * page, page + 1));
    }
  }

  /* ---- images ---- */

  @Test
  void createImage_padsToPagesAndCopiesContents() {
    MemorySegment contents = pattern(2 * page + page / 2, 11);
    MemorySegment original = copy(contents);
    try (MemoryImage image = backend.createImage(contents);
        Reservation reservation = backend.reserve(8 * page)) {
      assertEquals(3 * page, image.byteSize());
      contents.fill((byte) 0x77); // the image holds a copy, not the caller's bytes
      reservation.mapImage(page, image);
      assertBytes(reservation, page, original);
      assertZero(reservation, page + original.byteSize(), 3 * page - original.byteSize());
    }
  }

  @Test
  void createImage_fromNativeMemory() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment contents = arena.allocate(3 * page);
      contents.copyFrom(pattern(3 * page, 13));
      try (MemoryImage image = backend.createImage(contents);
          Reservation reservation = backend.reserve(4 * page)) {
        assertEquals(3 * page, image.byteSize());
        reservation.mapImage(0, image);
        assertBytes(reservation, 0, contents);
      }
    }
  }

  @Test
  void createImage_empty_rejected() {
    assertThrows(BackendException.class, () -> backend.createImage(MemorySegment.ofArray(new byte[0])));
  }

  @Test
  void mapImage_readsImageAndIsWritable() {
    MemorySegment contents = pattern(3 * page, 17);
    try (MemoryImage image = backend.createImage(contents);
        Reservation reservation = backend.reserve(16 * page)) {
      reservation.mapImage(4 * page, image);
      assertBytes(reservation, 4 * page, contents);
      fill(reservation, 4 * page, 3 * page, (byte) 0x66);
      assertFilled(reservation, 4 * page, 3 * page, (byte) 0x66);
    }
  }

  @Test
  void mapImage_writesNeverReachTheImage() {
    MemorySegment contents = pattern(3 * page, 19);
    try (MemoryImage image = backend.createImage(contents);
        Reservation one = backend.reserve(16 * page);
        Reservation two = backend.reserve(16 * page)) {
      one.mapImage(0, image);
      one.mapImage(8 * page, image);
      two.mapImage(0, image);
      fill(one, 0, 3 * page, (byte) 0xEE);
      assertFilled(one, 0, 3 * page, (byte) 0xEE);
      assertBytes(one, 8 * page, contents);
      assertBytes(two, 0, contents);
      try (Reservation three = backend.reserve(4 * page)) {
        three.mapImage(page, image);
        assertBytes(three, page, contents);
      }
      one.reset(0, 3 * page);
      assertBytes(one, 0, contents);
    }
  }

  @Test
  void reset_bringsImageBytesBackAndZeroAround() {
    MemorySegment contents = pattern(3 * page, 23);
    try (MemoryImage image = backend.createImage(contents);
        Reservation reservation = backend.reserve(16 * page)) {
      reservation.makeAccessible(0, 8 * page);
      reservation.mapImage(page, image);
      fill(reservation, 0, 8 * page, (byte) 0x77);
      reservation.reset(0, 8 * page);
      assertZero(reservation, 0, page);
      assertBytes(reservation, page, contents);
      assertZero(reservation, 4 * page, 4 * page);
    }
  }

  @Test
  void removeImage_rangeReadsZeroAndStaysWritable() {
    try (MemoryImage image = backend.createImage(pattern(3 * page, 29));
        Reservation reservation = backend.reserve(8 * page)) {
      reservation.mapImage(2 * page, image);
      reservation.removeImage(2 * page);
      assertZero(reservation, 2 * page, 3 * page);
      fill(reservation, 2 * page, 3 * page, (byte) 0x12);
      assertFilled(reservation, 2 * page, 3 * page, (byte) 0x12);
      reservation.reset(2 * page, 3 * page);
      assertZero(reservation, 2 * page, 3 * page);
    }
  }

  @Test
  void removeImage_thenMapAnother_readsTheNewImage() {
    MemorySegment second = pattern(2 * page, 37);
    try (MemoryImage a = backend.createImage(pattern(3 * page, 31));
        MemoryImage b = backend.createImage(second);
        Reservation reservation = backend.reserve(8 * page)) {
      reservation.mapImage(0, a);
      fill(reservation, 0, 3 * page, (byte) 0x44);
      reservation.removeImage(0);
      reservation.mapImage(0, b);
      assertBytes(reservation, 0, second);
      assertZero(reservation, 2 * page, page);
      fill(reservation, 0, 3 * page, (byte) 0x45);
      reservation.reset(0, 3 * page);
      assertBytes(reservation, 0, second);
      assertZero(reservation, 2 * page, page);
    }
  }

  @Test
  void mapImage_sameImageTwiceSideBySide_areTwoMappings() {
    MemorySegment contents = pattern(2 * page, 41);
    try (MemoryImage image = backend.createImage(contents);
        Reservation reservation = backend.reserve(8 * page)) {
      reservation.mapImage(0, image);
      reservation.mapImage(2 * page, image);
      reservation.removeImage(0);
      assertZero(reservation, 0, 2 * page);
      assertBytes(reservation, 2 * page, contents);
      assertThrows(BackendException.class, () -> reservation.removeImage(0));
      reservation.removeImage(2 * page);
    }
  }

  @Test
  void mapImage_overlappingAnother_rejected() {
    try (MemoryImage a = backend.createImage(pattern(3 * page, 43));
        MemoryImage b = backend.createImage(pattern(2 * page, 47));
        Reservation reservation = backend.reserve(8 * page)) {
      reservation.mapImage(page, a);
      assertThrows(BackendException.class, () -> reservation.mapImage(3 * page, b));
      assertThrows(BackendException.class, () -> reservation.mapImage(0, b));
      assertThrows(BackendException.class, () -> reservation.mapImage(page, a));
      reservation.mapImage(4 * page, b); // touching, not overlapping
    }
  }

  @Test
  void removeImage_whereNoImageStarts_rejected() {
    try (MemoryImage image = backend.createImage(pattern(3 * page, 53));
        Reservation reservation = backend.reserve(8 * page)) {
      assertThrows(BackendException.class, () -> reservation.removeImage(0));
      reservation.mapImage(0, image);
      assertThrows(BackendException.class, () -> reservation.removeImage(page));
      assertThrows(BackendException.class, () -> reservation.removeImage(1));
      assertThrows(BackendException.class, () -> reservation.removeImage(-page));
      assertThrows(BackendException.class, () -> reservation.removeImage(100 * page));
      reservation.removeImage(0);
      assertThrows(BackendException.class, () -> reservation.removeImage(0));
    }
  }

  @Test
  void mapImage_outsideReservationOrUnaligned_rejected() {
    try (MemoryImage image = backend.createImage(pattern(3 * page, 59));
        Reservation reservation = backend.reserve(8 * page)) {
      assertThrows(BackendException.class, () -> reservation.mapImage(6 * page, image));
      assertThrows(BackendException.class, () -> reservation.mapImage(8 * page, image));
      assertThrows(BackendException.class, () -> reservation.mapImage(-page, image));
      assertThrows(BackendException.class, () -> reservation.mapImage(page + 1, image));
      assertThrows(BackendException.class, () -> reservation.mapImage(Long.MAX_VALUE & -page, image));
      reservation.mapImage(5 * page, image); // exactly at the end
    }
  }

  @Test
  void image_closeTwice_rejected() {
    MemoryImage image = backend.createImage(pattern(page, 61));
    image.close();
    assertThrows(BackendException.class, image::close);
  }

  @Test
  void mapImage_closedImage_rejected() {
    MemoryImage image = backend.createImage(pattern(page, 67));
    image.close();
    try (Reservation reservation = backend.reserve(4 * page)) {
      assertThrows(BackendException.class, () -> reservation.mapImage(0, image));
      reservation.makeAccessible(0, 4 * page);
      assertZero(reservation, 0, 4 * page);
    }
  }

  @Test
  void mapImage_imageOfAnotherBackend_rejected() {
    try (Backend other = provider().create();
        MemoryImage foreign = other.createImage(pattern(page, 71));
        Reservation reservation = backend.reserve(4 * page)) {
      assertThrows(BackendException.class, () -> reservation.mapImage(0, foreign));
    }
  }

  @Test
  void image_closedWhileMapped_keepsReadingAndRestoring() {
    MemorySegment contents = pattern(3 * page, 73);
    MemoryImage image = backend.createImage(contents);
    try (Reservation reservation = backend.reserve(8 * page)) {
      reservation.mapImage(page, image);
      image.close();
      assertBytes(reservation, page, contents);
      fill(reservation, page, 3 * page, (byte) 0x19);
      reservation.reset(page, 3 * page);
      assertBytes(reservation, page, contents);
      fill(reservation, page, 3 * page, (byte) 0x1A);
      reservation.reset(page, 3 * page, 3 * page);
      assertBytes(reservation, page, contents);
      reservation.removeImage(page);
      assertZero(reservation, page, 3 * page);
    }
  }

  @Test
  void reservationClose_leavesMappedImageUsable() {
    MemorySegment contents = pattern(2 * page, 79);
    try (MemoryImage image = backend.createImage(contents)) {
      try (Reservation first = backend.reserve(4 * page)) {
        first.mapImage(0, image);
        fill(first, 0, page, (byte) 1);
      }
      try (Reservation second = backend.reserve(4 * page)) {
        second.mapImage(2 * page, image);
        assertBytes(second, 2 * page, contents);
      }
    }
  }

  /* ---- keep-resident resets (Wasmtime's memset_instead_of_madvise matrix) ---- */

  static Stream<Arguments> keepResidentCases() {
    List<Arguments> cases = new ArrayList<>();
    // keep-resident sizes in pages: 0, one page, ten pages, 1 MiB and 10 MiB of 4 KiB pages.
    for (int imagePages : new int[] {0, 1, 2}) {
      for (long keepPages : new long[] {0, 1, 10, 256, 2560}) {
        cases.add(Arguments.of(imagePages, keepPages));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "image at page {0}, keep {1} pages")
  @MethodSource("keepResidentCases")
  void reset_keepResidentPrefix_restoresBaselineEverywhere(int imagePage, long keepPages) {
    long accessibleBytes = 512 * page;
    long keep = keepPages * page;
    MemorySegment contents = pattern(3 * page + 100, 83);
    try (MemoryImage image = backend.createImage(contents);
        Reservation reservation = backend.reserve(1024 * page)) {
      reservation.makeAccessible(0, accessibleBytes);
      long imageOffset = imagePage * page;
      reservation.mapImage(imageOffset, image);
      for (int round = 0; round < 2; round++) {
        fill(reservation, 0, accessibleBytes, (byte) 0xA5);
        reservation.reset(0, accessibleBytes, keep);
        assertBaseline(reservation, accessibleBytes, imageOffset, contents, image.byteSize());
      }
      // A reset that starts one page in leaves page 0 alone.
      fill(reservation, 0, accessibleBytes, (byte) 0x5A);
      reservation.reset(page, accessibleBytes - page, keep);
      assertFilled(reservation, 0, page, (byte) 0x5A);
      if (imageOffset > 0) {
        assertZero(reservation, page, imageOffset - page);
      }
      long imageEnd = imageOffset + image.byteSize();
      long from = Math.max(page, imageOffset);
      assertBytes(reservation, from, padded(contents, image.byteSize()).asSlice(from - imageOffset));
      assertZero(reservation, imageEnd, accessibleBytes - imageEnd);
    }
  }

  private void assertBaseline(
      Reservation reservation,
      long accessibleBytes,
      long imageOffset,
      MemorySegment contents,
      long imageSize) {
    assertZero(reservation, 0, imageOffset);
    assertBytes(reservation, imageOffset, padded(contents, imageSize));
    assertZero(reservation, imageOffset + imageSize, accessibleBytes - imageOffset - imageSize);
  }

  /* ---- misuse ---- */

  private interface RangeOperation {
    void apply(Reservation reservation, long offset, long length);
  }

  @Test
  void rangeOperations_invalidRanges_rejected() {
    long size = 8 * page;
    List<RangeOperation> operations =
        List.of(
            Reservation::makeAccessible,
            Reservation::makeInaccessible,
            Reservation::reset,
            (r, offset, length) -> r.reset(offset, length, page),
            (r, offset, length) -> r.colour(offset, length, new ProtectionKey(1)));
    long[][] ranges = {
      {1, page},
      {0, page + 1},
      {0, 1},
      {-page, page},
      {0, -page},
      {size + page, 0},
      {size, page},
      {page, size},
      {0, size + page},
      {Long.MAX_VALUE & -page, page},
      {page, Long.MAX_VALUE & -page},
      {Long.MIN_VALUE, page},
    };
    try (Reservation reservation = backend.reserve(size)) {
      reservation.makeAccessible(0, size);
      fill(reservation, 0, size, (byte) 0x0F);
      for (int op = 0; op < operations.size(); op++) {
        for (long[] range : ranges) {
          RangeOperation operation = operations.get(op);
          BackendException e =
              assertThrows(
                  BackendException.class,
                  () -> operation.apply(reservation, range[0], range[1]),
                  "operation " + op + " offset " + range[0] + " length " + range[1]);
          assertEquals(0, e.errno(), "caught before any system call: " + e.getMessage());
        }
      }
      assertFilled(reservation, 0, size, (byte) 0x0F);
    }
  }

  @Test
  void reservation_useAfterClose_rejected() throws Exception {
    MemoryImage image = backend.createImage(pattern(page, 89));
    Reservation reservation = backend.reserve(4 * page);
    reservation.makeAccessible(0, page);
    reservation.close();
    List<Executable> uses =
        List.of(
            reservation::segment,
            () -> reservation.makeAccessible(0, page),
            () -> reservation.makeInaccessible(0, page),
            () -> reservation.reset(0, page),
            () -> reservation.reset(0, page, page),
            () -> reservation.mapImage(0, image),
            () -> reservation.removeImage(0),
            () -> reservation.colour(0, page, new ProtectionKey(1)),
            reservation::close);
    for (Executable use : uses) {
      assertThrows(BackendException.class, use);
    }
    assertEquals(4 * page, reservation.byteSize());
    image.close();
  }

  @Test
  void colour_matchesKeySupport() {
    try (Reservation reservation = backend.reserve(4 * page)) {
      reservation.makeAccessible(0, 2 * page);
      if (backend.capabilities().protectionKeys() == 0) {
        assertThrows(
            BackendException.class, () -> reservation.colour(0, 4 * page, new ProtectionKey(1)));
      } else {
        ProtectionKey key = backend.protectionKeys().allocate(1).getFirst();
        reservation.colour(0, 4 * page, key);
        fill(reservation, 0, 2 * page, (byte) 3); // rights allow every key by default
        assertFilled(reservation, 0, 2 * page, (byte) 3);
      }
    }
  }

  /* ---- whole resets and what a reservation holds ---- */

  @Test
  void wholeReset_keepsWhatInaccessibleBytesHeld() {
    // A reset of every accessible byte ends earlier segments and may shrink the memory; bytes made
    // inaccessible with writes in them are no part of it.
    try (Reservation reservation = backend.reserve(16 * page)) {
      reservation.makeAccessible(0, 4 * page);
      fill(reservation, 0, 4 * page, (byte) 0x21);
      reservation.makeAccessible(4 * page, 8 * page);
      fill(reservation, 4 * page, 8 * page, (byte) 0x22);
      reservation.makeInaccessible(8 * page, 4 * page);
      reservation.reset(0, 8 * page);
      assertZero(reservation, 0, 8 * page);
      reservation.makeAccessible(8 * page, 4 * page);
      assertFilled(reservation, 8 * page, 4 * page, (byte) 0x22);
      assertZero(reservation, 0, 8 * page);
    }
  }

  @Test
  void wholeReset_afterGrowth_restoresBaseline_andGrowthCarriesContentsAgain() {
    MemorySegment contents = pattern(2 * page, 41);
    try (Reservation reservation = backend.reserve(64 * page);
        MemoryImage image = backend.createImage(contents)) {
      reservation.makeAccessible(0, page);
      reservation.mapImage(page, image);
      for (long pages = 4; pages <= 24; pages++) {
        reservation.makeAccessible((pages - 1) * page, page);
        fill(reservation, (pages - 1) * page, page, (byte) pages);
      }
      fill(reservation, 0, 3 * page, (byte) 0x33);
      reservation.reset(0, 24 * page, 2 * page);
      assertZero(reservation, 0, page);
      assertBytes(reservation, page, contents);
      assertZero(reservation, 3 * page, 21 * page);
      fill(reservation, 20 * page, page, (byte) 0x44);
      reservation.makeAccessible(24 * page, 40 * page);
      assertBytes(reservation, page, contents);
      assertFilled(reservation, 20 * page, page, (byte) 0x44);
      assertZero(reservation, 24 * page, 40 * page);
      reservation.removeImage(page);
    }
  }

  @Test
  void residentBytes_unknownOrCoversEveryAccessibleByte() {
    Reservation reservation = backend.reserve(64 * page);
    try {
      long fresh = reservation.residentBytes();
      assertTrue(fresh >= -1, "unknown (-1) or a count: " + fresh);
      reservation.makeAccessible(0, 8 * page);
      fill(reservation, 0, 8 * page, (byte) 1);
      long held = reservation.residentBytes();
      assertTrue(held == -1 || held >= 8 * page, "unknown or at least the accessible bytes: " + held);
      assertEquals(held == -1, fresh == -1, "known or unknown for the reservation's life");
      reservation.reset(0, 8 * page);
      long afterReset = reservation.residentBytes();
      assertTrue(
          afterReset == -1 || (afterReset >= 8 * page && afterReset <= held),
          "a reset never holds more: " + afterReset);
    } finally {
      reservation.close();
    }
    long closed = reservation.residentBytes();
    assertTrue(closed == -1 || closed == 0, "a closed reservation holds nothing: " + closed);
  }

  @Test
  void releaseReplacedSegments_keepsTheCurrentSegmentAndItsContents() {
    Reservation reservation = backend.reserve(64 * page);
    try {
      reservation.makeAccessible(0, page);
      reservation.segment().set(ValueLayout.JAVA_LONG, 8, 0x0DDBA11L);
      reservation.makeAccessible(page, 15 * page); // may replace the segment
      MemorySegment current = reservation.segment();
      long held = reservation.residentBytes();
      reservation.releaseReplacedSegments();
      assertEquals(0x0DDBA11L, current.get(ValueLayout.JAVA_LONG, 8));
      current.set(ValueLayout.JAVA_LONG, 15 * page, 7L);
      assertEquals(7L, reservation.segment().get(ValueLayout.JAVA_LONG, 15 * page));
      long released = reservation.residentBytes();
      assertTrue(
          released == -1 || (released >= 16 * page && released <= held),
          "releasing never holds more, and keeps every accessible byte: " + released);
    } finally {
      reservation.close();
    }
    assertThrows(BackendException.class, reservation::releaseReplacedSegments);
  }

  @Test
  void wholeResetOfInaccessibleBytes_holdsNothing_andTheyReadTheirBaselineAfter() {
    // What an idle trim does: make a slot inaccessible, then reset it; no memory stays behind.
    MemorySegment contents = pattern(2 * page, 43);
    try (Reservation reservation = backend.reserve(32 * page);
        MemoryImage image = backend.createImage(contents)) {
      reservation.makeAccessible(0, 8 * page);
      reservation.mapImage(2 * page, image);
      fill(reservation, 0, 8 * page, (byte) 0x55);
      reservation.removeImage(2 * page);
      reservation.makeInaccessible(0, 8 * page);
      reservation.reset(0, 8 * page, 0);
      long held = reservation.residentBytes();
      assertTrue(held == -1 || held == 0, "unknown, or nothing held: " + held);
      reservation.makeAccessible(0, 8 * page);
      assertZero(reservation, 0, 8 * page);
    }
  }

  /* ---- revocation ---- */

  @Test
  void revoke_badRangeOrClosedReservation_rejected() {
    Reservation reservation = backend.reserve(4 * page);
    try {
      assertThrows(BackendException.class, () -> reservation.revoke(1, page));
      assertThrows(BackendException.class, () -> reservation.revoke(0, 5 * page));
    } finally {
      reservation.close();
    }
    assertThrows(BackendException.class, () -> reservation.revoke(0, page));
  }

  @Test
  void revoke_unsupportedLeavesTheRangeAsItWas_supportedMakesItInaccessible() {
    try (Reservation reservation = backend.reserve(4 * page)) {
      reservation.makeAccessible(0, 4 * page);
      fill(reservation, 0, 4 * page, (byte) 0x66);
      boolean revoked = reservation.revoke(page, 2 * page);
      // Bytes outside the range are untouched either way; inside it only an unrevoked range is read.
      assertFilled(reservation, 0, page, (byte) 0x66);
      assertFilled(reservation, 3 * page, page, (byte) 0x66);
      if (!revoked) {
        assertFilled(reservation, page, 2 * page, (byte) 0x66);
      } else {
        // The books no longer count the range as accessible: a keep-resident prefix over it fails.
        assertThrows(BackendException.class, () -> reservation.reset(page, 2 * page, page));
      }
    }
  }

  /* ---- concurrency ---- */

  @Test
  void disjointSlots_usedFromTwoThreads_stayIndependent() throws Exception {
    long slot = 16 * page;
    boolean shared = backend.capabilities().virtualReservation();
    MemorySegment contents = pattern(3 * page, 97);
    try (MemoryImage image = backend.createImage(contents);
        Reservation common = backend.reserve(2 * slot);
        ExecutorService pool = Executors.newFixedThreadPool(2)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  // Without virtual reservation the pool reserves one reservation per slot.
                  Reservation own = shared ? common : backend.reserve(slot);
                  long base = shared ? thread * slot : 0;
                  try {
                    for (int i = 0; i < 100; i++) {
                      own.makeAccessible(base, 8 * page);
                      own.mapImage(base + page, image);
                      fill(own, base, 8 * page, (byte) (thread + 1));
                      assertFilled(own, base, 8 * page, (byte) (thread + 1));
                      own.reset(base, 8 * page, i % 2 == 0 ? 0 : 2 * page);
                      assertZero(own, base, page);
                      assertBytes(own, base + page, contents);
                      assertZero(own, base + 4 * page, 4 * page);
                      own.removeImage(base + page);
                      own.makeInaccessible(base, 8 * page);
                    }
                  } finally {
                    if (!shared) {
                      own.close();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> future : done) {
        future.get();
      }
    }
  }

  /* ---- helpers ---- */

  /** The reservation's current segment; re-read after every call that may replace it. */
  protected static MemorySegment segment(Reservation reservation) {
    MemorySegment segment = reservation.segment();
    assertNotNull(segment);
    return segment;
  }

  /** Bytes that differ from page to page and from seed to seed, with no zero page. */
  protected static MemorySegment pattern(long size, int seed) {
    byte[] bytes = new byte[Math.toIntExact(size)];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) ((i * 31 + seed * 17 + (i >>> 12)) | 1);
    }
    return MemorySegment.ofArray(bytes);
  }

  private static MemorySegment copy(MemorySegment source) {
    MemorySegment copy = MemorySegment.ofArray(new byte[Math.toIntExact(source.byteSize())]);
    copy.copyFrom(source);
    return copy;
  }

  private static MemorySegment padded(MemorySegment contents, long size) {
    MemorySegment padded = MemorySegment.ofArray(new byte[Math.toIntExact(size)]);
    MemorySegment.copy(contents, 0, padded, 0, contents.byteSize());
    return padded;
  }

  /** Writes {@code value} over a range that must be accessible. */
  protected static void fill(Reservation reservation, long offset, long length, byte value) {
    segment(reservation).asSlice(offset, length).fill(value);
  }

  /** Asserts a range holds {@code expected}. */
  protected static void assertBytes(Reservation reservation, long offset, MemorySegment expected) {
    MemorySegment actual = segment(reservation).asSlice(offset, expected.byteSize());
    long mismatch = actual.mismatch(expected);
    if (mismatch != -1) {
      fail(
          String.format(
              "byte at offset 0x%x is 0x%02x, expected 0x%02x",
              offset + mismatch,
              actual.get(ValueLayout.JAVA_BYTE, mismatch),
              expected.get(ValueLayout.JAVA_BYTE, mismatch)));
    }
  }

  /** Asserts every byte of a range is {@code value}. */
  protected static void assertFilled(Reservation reservation, long offset, long length, byte value) {
    if (length == 0) {
      return;
    }
    byte[] expected = new byte[Math.toIntExact(length)];
    Arrays.fill(expected, value);
    assertBytes(reservation, offset, MemorySegment.ofArray(expected));
  }

  /** Asserts every byte of a range is zero. */
  protected static void assertZero(Reservation reservation, long offset, long length) {
    assertFilled(reservation, offset, length, (byte) 0);
  }

  @Test
  void helpers_detectDifferences() {
    // The assertions above must be able to fail, or every test here proves nothing.
    try (Reservation reservation = backend.reserve(2 * page)) {
      reservation.makeAccessible(0, 2 * page);
      fill(reservation, page, page, (byte) 1);
      assertThrows(AssertionError.class, () -> assertZero(reservation, 0, 2 * page));
      assertThrows(AssertionError.class, () -> assertFilled(reservation, 0, page, (byte) 1));
      assertFalse(pattern(page, 1).asByteBuffer().equals(pattern(page, 2).asByteBuffer()));
    }
  }
}
