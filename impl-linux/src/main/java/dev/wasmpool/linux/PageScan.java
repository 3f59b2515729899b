package dev.wasmpool.linux;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.support.Lanes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Finds the pages of a range that hold written data, with the {@code PAGEMAP_SCAN} ioctl of {@code
 * /proc/self/pagemap} (Linux 6.7 and later), so that a reset touches only those pages.
 *
 * <p>Why: resetting a slot with {@code madvise(MADV_DONTNEED)} over its whole accessible range
 * makes the kernel flush the TLBs of every CPU running the process, by inter-processor interrupt.
 * With two threads instantiating on two cores that costs about 10 µs per reset here (a virtual
 * machine, where each interrupt exits to the hypervisor), six times the rest of a pooled
 * instantiate + close (Wasmtime issue #4637 reports the same). Most resets find little or nothing
 * written: an instance whose memory was only read, or a few pages of a large memory. The scan walks
 * the page tables only where they exist, so it is cheap, and no TLB flush is needed when nothing
 * was written.
 *
 * <p>A page holds written data (is <em>dirty</em>) when it is present and anonymous (written, or
 * the copy-on-write copy of an image page), or swapped out. A present page of the image file
 * ({@code PAGE_IS_FILE}: read, not written) or the shared zero page ({@code PAGE_IS_PFNZERO}: read
 * where nothing was written) holds exactly what a reset would restore, and an absent page reads
 * the image or zero anyway. Huge pages follow the same rules.
 *
 * <p>Thread-safe. The argument and result buffers are per thread, and threads spread over one
 * descriptor per processor ("lanes", handed out round-robin): in a multi-threaded process every
 * {@code ioctl} takes and drops a reference on its open file, so one descriptor shared by all
 * threads makes that reference count bounce between cores on every reset.
 */
final class PageScan implements AutoCloseable {

  /** {@code PAGEMAP_SCAN}: {@code _IOWR('f', 16, struct pm_scan_arg)}, 96-byte argument. */
  static final long PAGEMAP_SCAN = 0xC0606610L;

  /** {@code PAGE_IS_FILE}: a page of a file mapping (for us: an unwritten image page). */
  static final long PAGE_IS_FILE = 1L << 2;

  /** {@code PAGE_IS_PRESENT}: the page is mapped. */
  static final long PAGE_IS_PRESENT = 1L << 3;

  /** {@code PAGE_IS_SWAPPED}: the page is swapped out (so it was written). */
  static final long PAGE_IS_SWAPPED = 1L << 4;

  /** {@code PAGE_IS_PFNZERO}: the shared zero page (read, never written). */
  static final long PAGE_IS_PFNZERO = 1L << 5;

  /**
   * The largest range a reset scans (64 MiB, 1024 WebAssembly pages). The scan also walks the
   * empty parts of the page tables: about 12 µs per GiB on the machine of docs/PERFORMANCE.md, on
   * top of a fixed cost near 1 µs, while what it may save (one TLB flush) does not grow with the
   * range. Larger ranges are decommitted whole, as without the scan.
   */
  static final long SCAN_LIMIT_BYTES = 64L << 20;

  /** {@code sizeof(struct pm_scan_arg)}: twelve 64-bit fields. */
  private static final int ARG_BYTES = 96;

  /** {@code sizeof(struct page_region)}: start, end, categories. */
  private static final int REGION_BYTES = 24;

  /** Regions per ioctl; a scan with more continues where the kernel stopped. */
  private static final int REGIONS = 64;

  /** A thread's argument and result buffer, freed with the thread. */
  private static final ThreadLocal<@Nullable MemorySegment> BUFFER =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ARG_BYTES + (long) REGIONS * REGION_BYTES, 8));

  /** Receives runs of dirty pages, in address order. */
  @FunctionalInterface
  interface RunConsumer {
    /**
     * One run of dirty pages.
     *
     * @param start the first byte's address
     * @param end the address after the last byte
     */
    void run(long start, long end);
  }

  /** Descriptors of {@code /proc/self/pagemap}, one per lane; at least one. */
  private final int[] fds;

  private boolean closed;

  /** The process's scanner, opened on first use and never closed: one descriptor per process. */
  private static final class Shared {
    static final @Nullable PageScan INSTANCE = probe();

    private static @Nullable PageScan probe() {
      if (!Boolean.parseBoolean(System.getProperty("wasmpool.linux.pagemapScan", "true"))) {
        return null;
      }
      long page = LibC.pageSize();
      long probe;
      try {
        probe =
            LibC.mmap(
                0, page, LibC.PROT_NONE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
      } catch (BackendException e) {
        return null;
      }
      try {
        return open(probe, page);
      } finally {
        LibC.munmap(probe, page);
      }
    }
  }

  /**
   * The process's scanner.
   *
   * @return the scanner, or {@code null} where the kernel lacks {@code PAGEMAP_SCAN} (or the system
   *     property {@code wasmpool.linux.pagemapScan} is {@code false}): resets then decommit whole
   *     ranges
   */
  static @Nullable PageScan shared() {
    return Shared.INSTANCE;
  }

  private PageScan(int[] fds) {
    this.fds = fds;
  }

  /**
   * Opens {@code /proc/self/pagemap} and checks that the kernel supports {@code PAGEMAP_SCAN} by
   * scanning a range of this process.
   *
   * @param probe a page-aligned, mapped or reserved range to scan once
   * @param probeLength its length
   * @return the scanner, or {@code null} where the file or the ioctl is missing (before Linux 6.7,
   *     or without {@code /proc}); resets then decommit whole ranges
   */
  static @Nullable PageScan open(long probe, long probeLength) {
    int first;
    try {
      first = LibC.open("/proc/self/pagemap", LibC.O_RDONLY | LibC.O_CLOEXEC);
    } catch (BackendException e) {
      return null;
    }
    PageScan scan = new PageScan(new int[] {first});
    try {
      scan.forEachDirtyRun(probe, probeLength, (s, e) -> {});
    } catch (BackendException e) {
      scan.close();
      return null;
    }
    return new PageScan(openLanes(first));
  }

  /**
   * One descriptor per processor, starting with {@code first}; fewer if the process runs out of
   * descriptors, since any lane works and only spreads the reference counting.
   */
  private static int[] openLanes(int first) {
    int lanes = Lanes.COUNT;
    int[] fds = new int[lanes];
    fds[0] = first;
    int opened = 1;
    try {
      for (; opened < lanes; opened++) {
        fds[opened] = LibC.open("/proc/self/pagemap", LibC.O_RDONLY | LibC.O_CLOEXEC);
      }
    } catch (BackendException e) {
      return Arrays.copyOf(fds, opened);
    }
    return fds;
  }

  /**
   * Reports the runs of dirty pages of {@code [address, address + length)}, merged where adjacent,
   * in address order.
   *
   * @param address page-aligned start
   * @param length page-aligned length
   * @param consumer receives each run
   * @throws BackendException if the ioctl fails
   */
  void forEachDirtyRun(long address, long length, RunConsumer consumer) {
    MemorySegment buffer = BUFFER.get();
    if (buffer == null) {
      throw new IllegalStateException("no scan buffer for " + Thread.currentThread());
    }
    int fd = fds[Lanes.current() % fds.length];
    MemorySegment arg = buffer.asSlice(0, ARG_BYTES);
    MemorySegment regions = buffer.asSlice(ARG_BYTES);
    long end = address + length;
    long runStart = -1;
    long runEnd = -1;
    long position = address;
    while (position < end) {
      arg.set(JAVA_LONG, 0, ARG_BYTES); // size
      arg.set(JAVA_LONG, 8, 0); // flags: report only, write-protect nothing
      arg.set(JAVA_LONG, 16, position); // start
      arg.set(JAVA_LONG, 24, end); // end
      arg.set(JAVA_LONG, 32, 0); // walk_end, written by the kernel
      arg.set(JAVA_LONG, 40, regions.address()); // vec
      arg.set(JAVA_LONG, 48, REGIONS); // vec_len
      arg.set(JAVA_LONG, 56, 0); // max_pages: no limit
      arg.set(JAVA_LONG, 64, 0); // category_inverted
      arg.set(JAVA_LONG, 72, 0); // category_mask
      arg.set(JAVA_LONG, 80, PAGE_IS_PRESENT | PAGE_IS_SWAPPED); // category_anyof_mask
      arg.set(JAVA_LONG, 88, PAGE_IS_PRESENT | PAGE_IS_SWAPPED | PAGE_IS_FILE | PAGE_IS_PFNZERO);
      int found = LibC.ioctl(fd, PAGEMAP_SCAN, arg);
      for (int i = 0; i < found; i++) {
        long base = (long) i * REGION_BYTES;
        long categories = regions.get(JAVA_LONG, base + 16);
        if (!dirty(categories)) {
          continue;
        }
        long start = regions.get(JAVA_LONG, base);
        long stop = regions.get(JAVA_LONG, base + 8);
        if (start == runEnd) {
          runEnd = stop;
        } else {
          if (runStart >= 0) {
            consumer.run(runStart, runEnd);
          }
          runStart = start;
          runEnd = stop;
        }
      }
      long walkEnd = arg.get(JAVA_LONG, 32);
      if (walkEnd <= position) {
        // No progress would loop forever: the kernel's contract is broken, so scan nothing more.
        throw new BackendException(
            "ioctl", "PAGEMAP_SCAN, start=0x" + Long.toHexString(position), "the scan made no progress");
      }
      position = walkEnd;
    }
    if (runStart >= 0) {
      consumer.run(runStart, runEnd);
    }
  }

  /**
   * Whether a region's categories mean written data.
   *
   * @param categories the region's {@code PAGE_IS_*} bits
   * @return {@code true} for a swapped page, or a present page that is neither the image file's
   *     nor the zero page
   */
  static boolean dirty(long categories) {
    if ((categories & PAGE_IS_SWAPPED) != 0) {
      return true;
    }
    return (categories & PAGE_IS_PRESENT) != 0
        && (categories & (PAGE_IS_FILE | PAGE_IS_PFNZERO)) == 0;
  }

  /** Closes the descriptors. Idempotent. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      for (int fd : fds) {
        LibC.close(fd);
      }
    }
  }

  @Override
  public String toString() {
    return "PageScan[lanes=" + fds.length + (closed ? ", closed" : "") + "]";
  }
}
