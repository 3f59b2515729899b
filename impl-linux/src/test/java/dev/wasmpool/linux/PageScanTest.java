package dev.wasmpool.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Resets that restore only the written pages ({@link PageScan}, {@code PAGEMAP_SCAN}): the scan
 * finds exactly the written pages, and a reset with the scan leaves every byte as a reset without
 * it does (random writes and reads over an image and plain memory, random keep-resident prefixes).
 */
@EnabledOnOs(OS.LINUX)
class PageScanTest {

  private static final long SEED = Long.getLong("wasmpool.seed", System.nanoTime());

  private LinuxBackend scanning;
  private LinuxBackend plain;
  private long page;

  @BeforeEach
  void createBackends() {
    scanning = LinuxBackend.create(true);
    plain = LinuxBackend.create(false);
    page = scanning.pageSize();
  }

  @AfterEach
  void closeBackends() {
    scanning.close();
    plain.close();
  }

  /** Linux 6.7 introduced PAGEMAP_SCAN; on such a kernel the backend must use it. */
  @Test
  void shared_availableFromLinux67() {
    String[] version = System.getProperty("os.version").split("[.-]");
    int major = Integer.parseInt(version[0]);
    int minor = Integer.parseInt(version[1]);
    if (major > 6 || (major == 6 && minor >= 7)) {
      assertNotNull(PageScan.shared(), "PAGEMAP_SCAN on Linux " + System.getProperty("os.version"));
      assertNotNull(scanning.pageScan());
    }
    assertEquals(null, plain.pageScan());
  }

  @Test
  void dirty_presentAnonymousOrSwapped_notFileNotZeroPageNotAbsent() {
    long present = PageScan.PAGE_IS_PRESENT;
    assertTrue(PageScan.dirty(present));
    assertTrue(PageScan.dirty(PageScan.PAGE_IS_SWAPPED));
    assertFalse(PageScan.dirty(present | PageScan.PAGE_IS_FILE));
    assertFalse(PageScan.dirty(present | PageScan.PAGE_IS_PFNZERO));
    assertFalse(PageScan.dirty(0));
  }

  @Test
  void forEachDirtyRun_reportsExactlyTheWrittenPages_merged() {
    PageScan scan = scanning.pageScan();
    if (scan == null) {
      return; // Kernel before 6.7: shared_availableFromLinux67 checks that this is expected.
    }
    try (LinuxImage image = (LinuxImage) scanning.createImage(pattern(8 * page, 3));
        LinuxReservation r = (LinuxReservation) scanning.reserve(64 * page)) {
      r.makeAccessible(0, 64 * page);
      r.mapImage(0, image);
      MemorySegment m = r.segment();
      m.get(ValueLayout.JAVA_BYTE, 0); // image page read: clean
      m.set(ValueLayout.JAVA_BYTE, page + 5, (byte) 1); // image page written: dirty
      m.set(ValueLayout.JAVA_BYTE, 2 * page, (byte) 1); // adjacent: merged with the one before
      m.get(ValueLayout.JAVA_BYTE, 20 * page); // zero page read: clean
      m.set(ValueLayout.JAVA_BYTE, 30 * page + 100, (byte) 1); // plain page written: dirty
      m.set(ValueLayout.JAVA_BYTE, 63 * page, (byte) 0); // a zero written is a write too
      List<long[]> runs = new ArrayList<>();
      scan.forEachDirtyRun(r.address(), 64 * page, (s, e) -> runs.add(new long[] {s - r.address(), e - r.address()}));
      assertEquals(3, runs.size(), () -> describe(runs));
      assertRun(runs.get(0), page, 3 * page);
      assertRun(runs.get(1), 30 * page, 31 * page);
      assertRun(runs.get(2), 63 * page, 64 * page);
    }
  }

  /** Threads spread over one descriptor per processor, and every lane scans correctly. */
  @Test
  void forEachDirtyRun_fromManyThreads_everyLaneReportsTheSameRuns() throws Exception {
    PageScan scan = scanning.pageScan();
    if (scan == null) {
      return;
    }
    int lanes = Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 64);
    assertEquals("PageScan[lanes=" + lanes + "]", scan.toString());
    try (LinuxReservation r = (LinuxReservation) scanning.reserve(16 * page)) {
      r.makeAccessible(0, 16 * page);
      r.segment().set(ValueLayout.JAVA_BYTE, 3 * page, (byte) 1);
      r.segment().set(ValueLayout.JAVA_BYTE, 9 * page, (byte) 1);
      int threads = 2 * lanes + 1; // more threads than lanes: every lane is used, some twice
      List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
      List<Thread> started = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Thread thread =
            Thread.ofPlatform()
                .start(
                    () -> {
                      StringBuilder runs = new StringBuilder();
                      scan.forEachDirtyRun(
                          r.address(),
                          16 * page,
                          (start, end) -> runs.append((start - r.address()) / page).append('-').append((end - r.address()) / page).append(' '));
                      seen.add(runs.toString());
                    });
        started.add(thread);
      }
      for (Thread thread : started) {
        thread.join();
      }
      assertEquals(java.util.Collections.nCopies(threads, "3-4 9-10 "), seen);
    }
  }

  @Test
  void forEachDirtyRun_moreRunsThanOneIoctlReturns_allReported() {
    PageScan scan = scanning.pageScan();
    if (scan == null) {
      return;
    }
    int runs = 200; // over the 64 regions one ioctl returns
    try (LinuxReservation r = (LinuxReservation) scanning.reserve(2L * runs * page)) {
      r.makeAccessible(0, 2L * runs * page);
      for (int i = 0; i < runs; i++) {
        r.segment().set(ValueLayout.JAVA_BYTE, 2L * i * page, (byte) 1);
      }
      List<long[]> found = new ArrayList<>();
      scan.forEachDirtyRun(r.address(), 2L * runs * page, (s, e) -> found.add(new long[] {s, e}));
      assertEquals(runs, found.size());
      for (int i = 0; i < runs; i++) {
        assertRun(new long[] {found.get(i)[0] - r.address(), found.get(i)[1] - r.address()}, 2L * i * page, (2L * i + 1) * page);
      }
    }
  }

  @Test
  void reset_withScan_leavesEveryByteAsResetWithout_randomised() {
    Random random = new Random(SEED);
    long slot = 96 * page;
    long imageOffset = 8 * page;
    long imageBytes = 24 * page;
    try (LinuxImage scanImage = (LinuxImage) scanning.createImage(pattern(imageBytes, 11));
        LinuxImage plainImage = (LinuxImage) plain.createImage(pattern(imageBytes, 11));
        LinuxReservation a = (LinuxReservation) scanning.reserve(slot + page);
        LinuxReservation b = (LinuxReservation) plain.reserve(slot + page)) {
      for (LinuxReservation r : List.of(a, b)) {
        r.makeAccessible(0, slot);
      }
      a.mapImage(imageOffset, scanImage);
      b.mapImage(imageOffset, plainImage);
      for (int round = 0; round < 60; round++) {
        int operations = random.nextInt(40);
        for (int i = 0; i < operations; i++) {
          long at = (long) (random.nextDouble() * slot);
          if (random.nextBoolean()) {
            byte value = (byte) random.nextInt(256);
            a.segment().set(ValueLayout.JAVA_BYTE, at, value);
            b.segment().set(ValueLayout.JAVA_BYTE, at, value);
          } else {
            assertEquals(b.segment().get(ValueLayout.JAVA_BYTE, at), a.segment().get(ValueLayout.JAVA_BYTE, at));
          }
        }
        long keep = page * switch (random.nextInt(4)) {
          case 0 -> 0;
          case 1 -> 1 + random.nextInt(16);
          case 2 -> 8 + random.nextInt(40);
          default -> 96;
        };
        a.reset(0, slot, keep);
        b.reset(0, slot, keep);
        long differs = a.segment().asSlice(0, slot).mismatch(b.segment().asSlice(0, slot));
        assertEquals(-1, differs, "seed " + SEED + " round " + round + " keep " + keep + ": first difference");
        assertReset(a, slot, imageOffset, imageBytes, round);
      }
    }
  }

  @Test
  void reset_beyondThePrefix_writtenPagesDecommitted() {
    long pages = 256;
    try (LinuxReservation r = (LinuxReservation) scanning.reserve((pages + 2) * page)) {
      long from = r.address() + page;
      long to = from + pages * page;
      r.makeAccessible(page, pages * page);
      for (long p = 0; p < pages; p += 3) {
        r.segment().set(ValueLayout.JAVA_BYTE, page + p * page, (byte) 7);
      }
      assertTrue(ProcSelf.residentBytes(from, to) >= pages / 3 * page);
      r.reset(page, pages * page, 0);
      assertEquals(0, ProcSelf.residentBytes(from, to), "every written page was decommitted");
      assertEquals(-1, r.segment().asSlice(page, pages * page).mismatch(MemorySegment.ofArray(new byte[(int) (pages * page)])));
    }
  }

  @Test
  void reset_rangeAboveTheScanLimit_decommittedWhole() {
    long bytes = PageScan.SCAN_LIMIT_BYTES + 16 * page;
    try (LinuxReservation r = (LinuxReservation) scanning.reserve(bytes + page)) {
      r.makeAccessible(0, bytes);
      long[] written = {0, PageScan.SCAN_LIMIT_BYTES / 2, bytes - page};
      for (long at : written) {
        r.segment().set(ValueLayout.JAVA_BYTE, at + 1, (byte) 9);
      }
      r.reset(0, bytes, 0);
      for (long at : written) {
        assertEquals(0, r.segment().get(ValueLayout.JAVA_BYTE, at + 1));
      }
      assertEquals(0, ProcSelf.residentBytes(r.address(), r.address() + bytes));
    }
  }

  private void assertReset(LinuxReservation r, long slot, long imageOffset, long imageBytes, int round) {
    MemorySegment m = r.segment();
    MemorySegment image = MemorySegment.ofArray(pattern(imageBytes, 11).toArray(ValueLayout.JAVA_BYTE));
    assertEquals(-1, m.asSlice(imageOffset, imageBytes).mismatch(image), "seed " + SEED + " round " + round + ": image restored");
    byte[] zeros = new byte[(int) slot];
    assertEquals(-1, m.asSlice(0, imageOffset).mismatch(MemorySegment.ofArray(zeros).asSlice(0, imageOffset)), "seed " + SEED + " round " + round + ": zero before the image");
    long after = imageOffset + imageBytes;
    assertEquals(-1, m.asSlice(after, slot - after).mismatch(MemorySegment.ofArray(zeros).asSlice(0, slot - after)), "seed " + SEED + " round " + round + ": zero after the image");
  }

  private static MemorySegment pattern(long size, int salt) {
    byte[] bytes = new byte[Math.toIntExact(size)];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (i * salt + 1);
    }
    return MemorySegment.ofArray(bytes);
  }

  private void assertRun(long[] run, long start, long end) {
    assertEquals(start, run[0], "run start");
    assertEquals(end, run[1], "run end");
  }

  private String describe(List<long[]> runs) {
    StringBuilder sb = new StringBuilder();
    for (long[] run : runs) {
      sb.append('[').append(run[0] / page).append(", ").append(run[1] / page).append(") ");
    }
    return sb.toString();
  }
}
