package dev.wasmpool.linux;

import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.Reservation;
import dev.wasmpool.spi.support.RangeMap;
import dev.wasmpool.spi.support.Ranges;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A range of address space from {@code mmap(PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
 * MAP_NORESERVE)}: it costs no memory until pages are made accessible and touched.
 *
 * <p>Operations map one-to-one to system calls: {@code mprotect} for accessibility, {@code mmap(fd,
 * MAP_PRIVATE | MAP_FIXED)} to map an image copy-on-write, an anonymous {@code MAP_FIXED} mapping
 * to remove one, {@code madvise(MADV_DONTNEED)} to decommit (a private file mapping then reads the
 * image again, an anonymous one zero), {@code pkey_mprotect} to colour and a shared {@code
 * MAP_FIXED} mapping of an empty memfd to revoke (every access then faults). Where the kernel has
 * {@code PAGEMAP_SCAN} ({@link PageScan}), a reset restores only the pages that were written.
 */
final class LinuxReservation implements Reservation {

  /*
   * Bookkeeping: every argument is checked in Java before a system call, because a wrong address
   * given to mmap(MAP_FIXED) or a write into a PROT_NONE page would not fail but corrupt or crash
   * the JVM. The reservation therefore tracks, in `books`:
   *   accessible - which pages are readable and writable (a keep-resident reset writes only there)
   *   images     - which image is mapped at which offset (reset copies from it, removeImage finds it)
   *   colours    - which key colours which pages: any mmap over a coloured range resets its pages
   *                to key 0, so mapImage and removeImage re-apply the key right after mapping.
   *
   * Concurrency: operations on disjoint ranges run in parallel; each is counted in `inFlight`, and
   * close() stops new ones and waits for the counted ones, so no system call ever runs on an
   * address range that was already unmapped (and possibly reused by someone else). The range maps are guarded by
   * `books`, held only for bookkeeping and never across a long call.
   *
   * Failure: if mapping over a range fails (mmap with MAP_FIXED may already have removed the old
   * pages), the range is paved with a fresh PROT_NONE anonymous mapping so that the address space
   * stays ours; the range is then inaccessible, imageless and zero.
   */

  private static final int PROT_RW = LibC.PROT_READ | LibC.PROT_WRITE;

  /** The name of the empty file {@link #revoke} maps, as {@code /proc/self/maps} shows it. */
  static final String REVOKED_MEMFD_NAME = "wasmpool-revoked";

  private final LinuxBackend owner;
  private final long address;
  private final long byteSize;
  private final long pageSize;
  private final MemorySegment segment;

  /** The keys facility, or {@code null} when keys are unsupported. */
  private final @Nullable LinuxProtectionKeys keys;

  /** Operations running now; {@link #close()} waits for them. */
  private final InFlight inFlight = new InFlight();

  /** Set by {@link #close()} once no operation runs; volatile for {@link #segment()}. */
  private volatile boolean closed;

  private final Object books = new Object();

  /** Readable and writable pages; guarded by {@link #books}. */
  private final RangeMap<Boolean> accessible = new RangeMap<>(true);

  /** Mapped images by range; guarded by {@link #books}. */
  private final RangeMap<Mapping> images = new RangeMap<>(false);

  /** Protection keys by range; guarded by {@link #books}. */
  private final RangeMap<ProtectionKey> colours = new RangeMap<>(true);

  /**
   * One image mapped at one offset.
   *
   * @param offset where the mapping starts
   * @param image the image
   */
  private record Mapping(long offset, LinuxImage image) {}

  /**
   * Wraps a fresh reservation.
   *
   * @param owner the backend
   * @param address the start of the mapping
   * @param byteSize its size
   * @param pageSize the page size
   * @param keys the keys facility, or {@code null} without keys
   */
  LinuxReservation(
      LinuxBackend owner,
      long address,
      long byteSize,
      long pageSize,
      @Nullable LinuxProtectionKeys keys) {
    this.owner = owner;
    this.address = address;
    this.byteSize = byteSize;
    this.pageSize = pageSize;
    this.keys = keys;
    this.segment = LibC.memoryAt(address, byteSize);
  }

  @Override
  public long byteSize() {
    return byteSize;
  }

  /**
   * The address of the first byte, for diagnostics and {@code /proc} tests.
   *
   * @return the start of the mapping
   */
  long address() {
    return address;
  }

  @Override
  public MemorySegment segment() {
    if (closed) {
      throw new BackendException("segment", describe(), "the reservation was closed");
    }
    return segment;
  }

  @Override
  public void makeAccessible(long offset, long length) {
    int stamp = enter("makeAccessible", offset, length);
    try {
      requireRange("makeAccessible", offset, length);
      if (length == 0) {
        return;
      }
      LibC.mprotect(address + offset, length, PROT_RW);
      synchronized (books) {
        accessible.put(offset, offset + length, Boolean.TRUE);
      }
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public void makeInaccessible(long offset, long length) {
    int stamp = enter("makeInaccessible", offset, length);
    try {
      requireRange("makeInaccessible", offset, length);
      if (length == 0) {
        return;
      }
      LibC.mprotect(address + offset, length, LibC.PROT_NONE);
      synchronized (books) {
        accessible.remove(offset, offset + length);
      }
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public void reset(long offset, long length, long keepResidentBytes) {
    reset(offset, length, keepResidentBytes, null, "reset");
  }

  @Override
  public void reset(long offset, long length, long keepResidentBytes, DecommitBatch deferred) {
    reset(offset, length, keepResidentBytes, deferred, "reset");
  }

  /**
   * Restores the prefix by writing; decommits the rest now ({@code deferred == null}) or adds it to
   * {@code deferred}.
   */
  private void reset(
      long offset,
      long length,
      long keepResidentBytes,
      @Nullable DecommitBatch deferred,
      String operation) {
    int stamp = enter(operation, offset, length);
    try {
      String problem = rangeProblem(offset, length);
      if (problem == null && (keepResidentBytes < 0 || keepResidentBytes % pageSize != 0)) {
        problem =
            "keepResidentBytes must be a non-negative multiple of the page size " + ByteCount.of(pageSize);
      }
      if (problem != null) {
        throw new BackendException("reset", Ranges.resetArgs(offset, length, keepResidentBytes), problem);
      }
      if (length == 0) {
        return;
      }
      long keep = Math.min(keepResidentBytes, length);
      long keepEnd = offset + keep;
      if (keep > 0) {
        // Only the prefix is written by hand: it must be accessible (nothing to check without one).
        synchronized (books) {
          if (!accessible.covers(offset, keepEnd)) {
            throw new BackendException(
                "reset",
                Ranges.resetArgs(offset, length, keepResidentBytes),
                String.format(
                    Locale.ROOT,
                    "the keep-resident prefix from offset %s to %s must be accessible",
                    ByteCount.of(offset),
                    ByteCount.of(keepEnd)));
          }
        }
      }
      PageScan scan = length <= PageScan.SCAN_LIMIT_BYTES ? owner.pageScan() : null;
      if (scan == null) {
        // The prefix: written, so its pages stay resident. The rest: decommitted; the kernel
        // brings back the image's bytes or zero on the next touch.
        writeBack(offset, keepEnd);
        if (length > keep) {
          decommit(keepEnd, length - keep, deferred);
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
    } finally {
      inFlight.exit(stamp);
    }
  }

  /**
   * What one reset does with the written runs the scan reports: writes back those in the
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
        writeBack(from, Math.min(to, keepEnd));
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

  /**
   * Counts a batched decommit of a range of this reservation as an operation in flight, so that
   * {@link #close()} waits for it; the caller passes the stamp to {@link #exitDecommit(int)}.
   *
   * @param offset the range's start
   * @param length its length
   * @return the stamp
   * @throws BackendException if the range is invalid or the reservation was closed
   */
  int enterDecommit(long offset, long length) {
    int stamp = enter("decommit", offset, length);
    String problem = rangeProblem(offset, length);
    if (problem != null) {
      inFlight.exit(stamp);
      throw new BackendException("decommit", Ranges.args(offset, length), problem);
    }
    return stamp;
  }

  /**
   * Ends what {@link #enterDecommit} began.
   *
   * @param stamp its stamp
   */
  void exitDecommit(int stamp) {
    inFlight.exit(stamp);
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
   * The backend that made this reservation.
   *
   * @return the owner
   */
  LinuxBackend owner() {
    return owner;
  }

  /**
   * Restores {@code [from, to)} by writing: the image's bytes where an image is mapped, zero
   * elsewhere. The pages stay resident. The caller is counted in {@link #inFlight}.
   */
  private void writeBack(long from, long to) {
    if (to <= from) {
      return;
    }
    List<Piece> imagePieces = new ArrayList<>();
    synchronized (books) {
      images.forEachOverlap(from, to, (s, e, m) -> imagePieces.add(new Piece(s, e, m)));
    }
    long pos = from;
    for (Piece piece : imagePieces) {
      if (piece.start() > pos) {
        segment.asSlice(pos, piece.start() - pos).fill((byte) 0);
      }
      MemorySegment.copy(
          piece.mapping().image().bytes(),
          piece.start() - piece.mapping().offset(),
          segment,
          piece.start(),
          piece.end() - piece.start());
      pos = piece.end();
    }
    if (to > pos) {
      segment.asSlice(pos, to - pos).fill((byte) 0);
    }
  }

  /** The part {@code [start, end)} of an image mapping inside a keep-resident prefix. */
  private record Piece(long start, long end, Mapping mapping) {}

  @Override
  public void mapImage(long offset, MemoryImage image) {
    Objects.requireNonNull(image, "image");
    int stamp = enter("mapImage", offset, image.byteSize());
    try {
      if (!(image instanceof LinuxImage linuxImage) || linuxImage.owner() != owner) {
        throw new BackendException(
            "mapImage", Ranges.imageArgs(offset, image), "the image was not created by this backend");
      }
      long length = linuxImage.byteSize();
      String problem = rangeProblem(offset, length);
      if (problem != null) {
        throw new BackendException("mapImage", Ranges.imageArgs(offset, image), problem);
      }
      long end = offset + length;
      synchronized (books) {
        Ranges.requireNoImageOverlap(images, offset, end, image, Mapping::offset);
      }
      linuxImage.pin("mapImage", offset);
      try {
        LibC.mmap(
            address + offset,
            length,
            PROT_RW,
            LibC.MAP_PRIVATE | LibC.MAP_FIXED,
            linuxImage.fd(),
            0);
      } catch (BackendException e) {
        linuxImage.unpin();
        paveAfterFailure(offset, end, e);
        throw e;
      }
      synchronized (books) {
        images.put(offset, end, new Mapping(offset, linuxImage));
        accessible.put(offset, end, Boolean.TRUE);
        recolour(offset, end, PROT_RW);
      }
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public void removeImage(long offset) {
    int stamp = enter("removeImage", offset, 0);
    try {
      String problem = rangeProblem(offset, 0);
      Mapping mapping;
      long end;
      synchronized (books) {
        mapping = problem == null ? images.startingAt(offset) : null;
        end = images.endOf(offset);
      }
      if (mapping == null) {
        throw new BackendException(
            "removeImage",
            "offset=" + ByteCount.of(offset),
            problem != null
                ? problem
                : "no image is mapped at offset " + ByteCount.of(offset));
      }
      try {
        LibC.mmap(
            address + offset,
            end - offset,
            PROT_RW,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED,
            -1,
            0);
      } catch (BackendException e) {
        paveAfterFailure(offset, end, e);
        throw e;
      }
      synchronized (books) {
        images.remove(offset, end);
        accessible.put(offset, end, Boolean.TRUE);
        recolour(offset, end, PROT_RW);
      }
      mapping.image().unpin();
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public void colour(long offset, long length, ProtectionKey key) {
    Objects.requireNonNull(key, "key");
    int stamp = enter("colour", offset, length);
    try {
      String args = Ranges.args(offset, length) + ", key=" + key.value();
      String problem = rangeProblem(offset, length);
      if (problem != null) {
        throw new BackendException("colour", args, problem);
      }
      LinuxProtectionKeys facility = keys;
      if (facility == null) {
        throw new BackendException(
            "colour",
            args,
            "protection keys are unsupported here: " + ProtectionKeyProbe.answer().detail());
      }
      if (!facility.allocated(key)) {
        throw new BackendException(
            "colour", args, "key " + key.value() + " was not allocated by this backend");
      }
      if (length == 0) {
        return;
      }
      long end = offset + length;
      synchronized (books) {
        // pkey_mprotect sets protection too: keep accessible pages RW and the rest PROT_NONE.
        List<long[]> open = new ArrayList<>();
        accessible.forEachOverlap(offset, end, (s, e, v) -> open.add(new long[] {s, e}));
        long pos = offset;
        for (long[] range : open) {
          if (range[0] > pos) {
            PkeyCalls.mprotect(address + pos, range[0] - pos, LibC.PROT_NONE, key.value());
          }
          PkeyCalls.mprotect(address + range[0], range[1] - range[0], PROT_RW, key.value());
          pos = range[1];
        }
        if (end > pos) {
          PkeyCalls.mprotect(address + pos, end - pos, LibC.PROT_NONE, key.value());
        }
        colours.put(offset, end, key);
      }
    } finally {
      inFlight.exit(stamp);
    }
  }

  /**
   * Maps an empty memfd over the range, shared and readable and writable: every page lies beyond
   * the file's end, so every access raises {@code SIGBUS}, which the JVM turns into an {@link
   * InternalError} for Java accesses (as for a truncated mapped file). Images in the range stay
   * pinned until {@link #close()}.
   */
  @Override
  public boolean revoke(long offset, long length) {
    int stamp = enter("revoke", offset, length);
    try {
      requireRange("revoke", offset, length);
      if (length == 0) {
        return true;
      }
      int fd = LibC.memfdCreate(REVOKED_MEMFD_NAME, LibC.MFD_CLOEXEC);
      try {
        LibC.mmap(address + offset, length, PROT_RW, LibC.MAP_SHARED | LibC.MAP_FIXED, fd, 0);
      } finally {
        LibC.close(fd);
      }
      synchronized (books) {
        accessible.remove(offset, offset + length);
        colours.remove(offset, offset + length);
      }
      return true;
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public void close() {
    List<Mapping> mapped = new ArrayList<>();
    if (!inFlight.close()) {
      throw new BackendException("close", describe(), "the reservation was already closed");
    }
    LibC.munmap(address, byteSize);
    closed = true;
    synchronized (books) {
      images.forEach((s, e, m) -> mapped.add(m));
      images.remove(0, byteSize);
      accessible.remove(0, byteSize);
      colours.remove(0, byteSize);
    }
    owner.reservationClosed();
    for (Mapping mapping : mapped) {
      mapping.image().unpin();
    }
  }

  /**
   * Whether a range is readable and writable, for tests.
   *
   * @param offset the start
   * @param length the length
   * @return true if every page of the range is accessible
   */
  boolean isAccessible(long offset, long length) {
    synchronized (books) {
      return accessible.covers(offset, offset + length);
    }
  }

  // ---- helpers ----

  /**
   * Starts an operation, failing if the reservation was closed. The caller ends it in {@code
   * finally} with the returned stamp.
   */
  private int enter(String operation, long offset, long length) {
    int stamp = inFlight.enter();
    if (stamp < 0) {
      throw new BackendException(
          operation, Ranges.args(offset, length), "the reservation was closed");
    }
    return stamp;
  }

  /** Throws if the range is not page-aligned inside the reservation. */
  private void requireRange(String operation, long offset, long length) {
    String problem = rangeProblem(offset, length);
    if (problem != null) {
      throw new BackendException(operation, Ranges.args(offset, length), problem);
    }
  }

  /**
   * What is wrong with a range.
   *
   * @return the reason, or {@code null} if the range is page-aligned and inside the reservation
   */
  private @Nullable String rangeProblem(long offset, long length) {
    return Ranges.problem(offset, length, pageSize, byteSize);
  }

  /** Re-applies the keys of coloured pages in {@code [start, end)} after an mmap reset them. */
  private void recolour(long start, long end, int prot) {
    if (keys == null || colours.isEmpty()) {
      return;
    }
    colours.forEachOverlap(
        start, end, (s, e, key) -> PkeyCalls.mprotect(address + s, e - s, prot, key.value()));
  }

  /**
   * After a failed {@code mmap(MAP_FIXED)}: pave {@code [start, end)} with a fresh inaccessible
   * anonymous mapping so that the address space stays ours, and forget what was there.
   */
  private void paveAfterFailure(long start, long end, BackendException cause) {
    try {
      LibC.mmap(
          address + start,
          end - start,
          LibC.PROT_NONE,
          LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE | LibC.MAP_FIXED,
          -1,
          0);
    } catch (BackendException paveFailure) {
      cause.addSuppressed(paveFailure);
      return;
    }
    List<Mapping> dropped = new ArrayList<>();
    synchronized (books) {
      images.forEachOverlap(start, end, (s, e, m) -> dropped.add(m));
      images.remove(start, end);
      accessible.remove(start, end);
      try {
        recolour(start, end, LibC.PROT_NONE);
      } catch (BackendException recolourFailure) {
        cause.addSuppressed(recolourFailure);
      }
    }
    for (Mapping mapping : dropped) {
      mapping.image().unpin();
    }
  }

  private String describe() {
    return String.format(Locale.ROOT, "address=0x%x, byteSize=%s", address, ByteCount.of(byteSize));
  }

  @Override
  public String toString() {
    return "LinuxReservation[" + describe() + (closed ? ", closed" : "") + "]";
  }
}
