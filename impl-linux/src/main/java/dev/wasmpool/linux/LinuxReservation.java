package dev.wasmpool.linux;

import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.support.BookedReservation;
import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.support.OpenResources;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A range of address space from {@code mmap(PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
 * MAP_NORESERVE)}: it costs no memory until pages are made accessible and touched.
 *
 * <p>The primitives map one-to-one to system calls: {@code mprotect} for accessibility, {@code
 * mmap(fd, MAP_PRIVATE | MAP_FIXED)} to map an image copy-on-write, an anonymous {@code MAP_FIXED}
 * mapping to remove one, {@code madvise(MADV_DONTNEED)} to decommit (a private file mapping then
 * reads the image again, an anonymous one zero), {@code pkey_mprotect} to colour and a shared
 * {@code MAP_FIXED} mapping of an empty memfd to revoke (every access then faults). Where the
 * kernel has {@code PAGEMAP_SCAN} ({@link PageScan}), a reset restores only the pages that were
 * written. The books (accessibility, images, colours, operations in flight) are {@link
 * BookedReservation}'s.
 */
final class LinuxReservation extends BookedReservation<LinuxImage> {

  /*
   * Every argument is checked by the books before a system call: a wrong address given to
   * mmap(MAP_FIXED) or a write into a PROT_NONE page would not fail but corrupt or crash the JVM.
   *
   * Failure: if mapping over a range fails (mmap with MAP_FIXED may already have removed the old
   * pages), the range is paved with a fresh PROT_NONE anonymous mapping so that the address space
   * stays ours; the range is then inaccessible, imageless and zero.
   */

  private static final int PROT_RW = LibC.PROT_READ | LibC.PROT_WRITE;

  /** The name of the empty file {@link #revokeBytes} maps, as {@code /proc/self/maps} shows it. */
  static final String REVOKED_MEMFD_NAME = "wasmpool-revoked";

  private final LinuxBackend owner;
  private final long address;
  private final long byteSize;
  private final MemorySegment segment;

  /** The keys facility, or {@code null} when keys are unsupported. */
  private final @Nullable LinuxProtectionKeys keys;

  /**
   * Wraps a fresh reservation.
   *
   * @param owner the backend
   * @param open the backend's open resources, told when this reservation closes
   * @param address the start of the mapping
   * @param byteSize its size
   * @param pageSize the page size
   * @param keys the keys facility, or {@code null} without keys
   */
  LinuxReservation(
      LinuxBackend owner,
      OpenResources open,
      long address,
      long byteSize,
      long pageSize,
      @Nullable LinuxProtectionKeys keys) {
    super(open, LinuxImage.class, byteSize, pageSize);
    this.owner = owner;
    this.address = address;
    this.byteSize = byteSize;
    this.keys = keys;
    this.segment = LibC.memoryAt(address, byteSize);
  }

  /**
   * The address of the first byte, for diagnostics and {@code /proc} tests.
   *
   * @return the start of the mapping
   */
  long address() {
    return address;
  }

  /**
   * The address of an offset of this reservation.
   *
   * @param offset the offset
   * @return the address
   */
  long addressOf(long offset) {
    return address + offset;
  }

  /**
   * Counts a batched decommit of a range of this reservation as an operation in flight, so that
   * {@link #close()} waits for it; the caller passes the stamp to {@link #exitDecommit(int)}.
   *
   * @param offset the range's start
   * @param length its length
   * @return the stamp
   * @throws dev.wasmpool.spi.BackendException if the range is invalid or the reservation was closed
   */
  int enterDecommit(long offset, long length) {
    return enterOperation("decommit", offset, length);
  }

  /**
   * Ends what {@link #enterDecommit} began.
   *
   * @param stamp its stamp
   */
  void exitDecommit(int stamp) {
    exitOperation(stamp);
  }

  // ---- primitives -----------------------------------------------------------------------------

  @Override
  protected MemorySegment segmentForCaller() {
    return segment;
  }

  @Override
  protected void protect(long offset, long length, boolean readWrite) {
    LibC.mprotect(address + offset, length, readWrite ? PROT_RW : LibC.PROT_NONE);
  }

  // Linux memory never moves, so a reset need not know whether it covers the whole reservation
  // (asking would take the books' lock, which every slot shares).
  @Override
  protected void restore(long offset, long length, long keepEnd, @Nullable DecommitBatch deferred) {
    PageScan scan = length <= PageScan.SCAN_LIMIT_BYTES ? owner.pageScan() : null;
    if (scan == null) {
      // The prefix: written, so its pages stay resident. The rest: decommitted; the kernel
      // brings back the image's bytes or zero on the next touch.
      writeBaseline(segment, offset, keepEnd);
      if (offset + length > keepEnd) {
        decommit(keepEnd, offset + length - keepEnd, deferred);
      }
      return;
    }
    // Only the written pages: by hand in the prefix; beyond it one decommit from the first
    // written page to the last (one TLB flush, none when nothing beyond the prefix was written).
    DirtyRuns runs = new DirtyRuns(keepEnd);
    scan.forEachDirtyRun(address + offset, length, runs);
    if (runs.decommitTo > runs.decommitFrom) {
      decommit(runs.decommitFrom, runs.decommitTo - runs.decommitFrom, deferred);
    }
  }

  /**
   * What one restore does with the written runs the scan reports: writes back those in the
   * keep-resident prefix at once, and spans those beyond it with one range to decommit. One object
   * per reset (a lambda with a captured array made two).
   */
  private final class DirtyRuns implements PageScan.RunConsumer {
    private final long keepEnd;
    long decommitFrom = Long.MAX_VALUE;
    long decommitTo = Long.MIN_VALUE;

    DirtyRuns(long keepEnd) {
      this.keepEnd = keepEnd;
    }

    @Override
    public void run(long start, long end) {
      long from = start - address;
      long to = end - address;
      if (from < keepEnd) {
        writeBaseline(segment, from, Math.min(to, keepEnd));
      }
      if (to > keepEnd) {
        decommitFrom = Math.min(decommitFrom, Math.max(from, keepEnd));
        decommitTo = Math.max(decommitTo, to);
      }
    }
  }

  /** Decommits a range now, or leaves it to {@code deferred}. */
  private void decommit(long offset, long length, @Nullable DecommitBatch deferred) {
    if (deferred == null) {
      LibC.madvise(address + offset, length, LibC.MADV_DONTNEED);
    } else {
      deferred.add(this, offset, length);
    }
  }

  @Override
  protected void mapImageBytes(long offset, LinuxImage image) {
    LibC.mmap(
        address + offset, image.byteSize(), PROT_RW, LibC.MAP_PRIVATE | LibC.MAP_FIXED, image.fd(), 0);
  }

  @Override
  protected void unmapImageBytes(long offset, long length) {
    anonymous(offset, length, PROT_RW);
  }

  @Override
  protected void pave(long offset, long length) {
    anonymous(offset, length, LibC.PROT_NONE);
  }

  /** Replaces a range with a fresh anonymous mapping: zero, no memory committed. */
  private void anonymous(long offset, long length, int prot) {
    LibC.mmap(
        address + offset,
        length,
        prot,
        LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED,
        -1,
        0);
  }

  @Override
  protected @Nullable String keyProblem(ProtectionKey key) {
    LinuxProtectionKeys facility = keys;
    if (facility == null) {
      return "protection keys are unsupported here: " + ProtectionKeyProbe.answer().detail();
    }
    if (!facility.allocated(key)) {
      return "key " + key.value() + " was not allocated by this backend";
    }
    return null;
  }

  @Override
  protected void protectWithKey(long offset, long length, boolean readWrite, ProtectionKey key) {
    PkeyCalls.mprotect(address + offset, length, readWrite ? PROT_RW : LibC.PROT_NONE, key.value());
  }

  /**
   * Maps an empty memfd over the range, shared and readable and writable: every page lies beyond
   * the file's end, so every access raises {@code SIGBUS}, which the JVM turns into an {@link
   * InternalError} for Java accesses (as for a truncated mapped file).
   */
  @Override
  protected boolean revokeBytes(long offset, long length) {
    int fd = LibC.memfdCreate(REVOKED_MEMFD_NAME, LibC.MFD_CLOEXEC);
    try {
      LibC.mmap(address + offset, length, PROT_RW, LibC.MAP_SHARED | LibC.MAP_FIXED, fd, 0);
    } finally {
      LibC.close(fd);
    }
    return true;
  }

  @Override
  protected void release() {
    LibC.munmap(address, byteSize);
  }

  @Override
  protected String describe() {
    return String.format(Locale.ROOT, "address=0x%x, byteSize=%s", address, ByteCount.of(byteSize));
  }

  @Override
  public String toString() {
    return "LinuxReservation[" + describe() + (isClosed() ? ", closed" : "") + "]";
  }
}
