package dev.wasmpool.spi.support;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A {@link Reservation} whose books are kept here, once for every backend: argument checks, which
 * pages are accessible, which image is mapped where, which key colours what, and the operations in
 * flight that {@link #close()} waits for. A backend extends it and implements only its primitives
 * (protect, restore, map and unmap an image's bytes, pave after a failure, colour, release).
 *
 * <p>Every public operation checks its arguments against the books before any primitive runs, so a
 * bad range never reaches the system (on Linux a wrong address given to {@code mmap(MAP_FIXED)}
 * would corrupt the JVM rather than fail). A primitive is called outside the books' lock; it may
 * call {@link #writeBaseline} and {@link #bookedEnd()}, which take that lock briefly.
 *
 * <p>Concurrency: operations on disjoint ranges run in parallel; each is counted in flight (per
 * {@link Lanes lane}), and {@link #close()} stops new ones and waits for the counted ones, so no
 * primitive ever runs on memory that was already released. A backend whose primitives share state
 * across ranges (a backing segment that growth replaces) guards that state itself.
 *
 * @param <I> the backend's image type
 */
public abstract class BookedReservation<I extends BookedImage> implements Reservation {

  private final OpenResources open;
  private final Class<I> imageType;
  private final long byteSize;
  private final long pageSize;

  /** Operations running now; {@link #close()} waits for them. */
  private final InFlight inFlight = new InFlight();

  /** Set by {@link #close()}; volatile for {@link #segment()}, which is not counted in flight. */
  private volatile boolean closed;

  private final Object books = new Object();

  /** Readable and writable pages; guarded by {@link #books}. */
  private final RangeMap<Boolean> accessible = new RangeMap<>(true);

  /** Mapped images by range; guarded by {@link #books}. */
  private final RangeMap<Mapping<I>> images = new RangeMap<>(false);

  /** Protection keys by range; guarded by {@link #books}. */
  private final RangeMap<ProtectionKey> colours = new RangeMap<>(true);

  /**
   * One image mapped at one offset.
   *
   * @param offset where the mapping starts
   * @param image the image
   */
  private record Mapping<I extends BookedImage>(long offset, I image) {}

  /** The part {@code [start, end)} of an image mapping inside a range. */
  private record Piece<I extends BookedImage>(long start, long end, Mapping<I> mapping) {}

  /** A coloured range {@code [start, end)}. */
  private record Coloured(long start, long end, ProtectionKey key) {}

  /**
   * Books a fresh reservation: everything inaccessible, no image, no colour.
   *
   * @param open the backend's open resources: told when this reservation closes, and the mark of
   *     the images it may map (those booked in the same {@code open})
   * @param imageType the backend's image class
   * @param byteSize the size, a positive multiple of {@code pageSize}
   * @param pageSize the backend's page size
   */
  protected BookedReservation(
      OpenResources open, Class<I> imageType, long byteSize, long pageSize) {
    this.open = open;
    this.imageType = imageType;
    this.byteSize = byteSize;
    this.pageSize = pageSize;
  }

  // ---- primitives -----------------------------------------------------------------------------

  /**
   * The segment callers get from {@link #segment()}; the reservation is open.
   *
   * @return the segment
   */
  protected abstract MemorySegment segmentForCaller();

  /**
   * Changes the protection of a valid, non-empty range; the books are updated after it returns.
   *
   * @param offset the start
   * @param length the length
   * @param readWrite {@code true} to make it readable and writable, {@code false} inaccessible
   * @throws BackendException if the system refuses
   */
  protected abstract void protect(long offset, long length, boolean readWrite);

  /**
   * Brings a valid, non-empty range back to its baseline: {@code [offset, keepEnd)} by writing
   * ({@link #writeBaseline}), the rest by decommitting now or adding it to {@code deferred}.
   *
   * @param offset the start
   * @param length the length
   * @param keepEnd the end of the keep-resident prefix, which is accessible
   * @param deferred receives the ranges left to decommit, or {@code null} to decommit now
   * @throws BackendException if the system refuses
   */
  protected abstract void restore(long offset, long length, long keepEnd, @Nullable DecommitBatch deferred);

  /**
   * Whether {@code [offset, offset + length)} holds every accessible byte of the reservation; when a
   * reset's range does, its caller holds no view taken before the reset ({@link
   * Reservation#segment()}), so a backend whose memory can move may move it then. Reads the books
   * under their lock, which every slot of the reservation shares: a backend that does not need to
   * know never asks. Call it without holding a lock the books' holders take (such as the monitor
   * {@link #mapImageBytes} runs under).
   *
   * @param offset the range's start
   * @param length its length
   * @return {@code true} if nothing outside the range is accessible
   */
  protected final boolean holdsAllAccessible(long offset, long length) {
    synchronized (books) {
      return !accessible.overlaps(0, offset) && !accessible.overlaps(offset + length, byteSize);
    }
  }

  /**
   * Maps an image's bytes at a valid offset, readable and writable; the range holds no image.
   *
   * @param offset the start
   * @param image the image, pinned
   * @throws BackendException if the system refuses; the range is then paved by {@link #pave}
   */
  protected abstract void mapImageBytes(long offset, I image);

  /**
   * Replaces an image's mapping with zero bytes, readable and writable.
   *
   * @param offset the mapping's start
   * @param length its length
   * @throws BackendException if the system refuses; the range is then paved by {@link #pave}
   */
  protected abstract void unmapImageBytes(long offset, long length);

  /**
   * Makes a range inaccessible and zero, holding no image, after a mapping there was refused.
   *
   * @param offset the start
   * @param length the length
   * @throws BackendException if even that is refused; the books then stay as they were
   */
  protected abstract void pave(long offset, long length);

  /**
   * Why a key cannot colour this reservation.
   *
   * @param key the key
   * @return the reason, or {@code null} if the key may colour it
   */
  protected abstract @Nullable String keyProblem(ProtectionKey key);

  /**
   * Colours a range with a key and sets its protection. Called only with a key that {@link
   * #keyProblem} accepted; the default fails, for backends without keys.
   *
   * @param offset the start
   * @param length the length
   * @param readWrite the range's protection
   * @param key the key
   * @throws BackendException if the system refuses
   */
  protected void protectWithKey(long offset, long length, boolean readWrite, ProtectionKey key) {
    throw new IllegalStateException("this backend has no protection keys");
  }

  /**
   * Revokes a valid, non-empty range for good ({@link Reservation#revoke}); the books then forget
   * its accessibility and colours, and its images stay pinned until {@link #close()}. The default
   * revokes nothing, for backends without virtual memory.
   *
   * @param offset the start
   * @param length the length
   * @return {@code true} if the range is revoked, {@code false} if this backend cannot revoke
   * @throws BackendException if the system refuses
   */
  protected boolean revokeBytes(long offset, long length) {
    return false;
  }

  /**
   * Frees the segments replaced since they were handed out ({@link
   * Reservation#releaseReplacedSegments()}); the caller holds no view of them. The default frees
   * nothing, for backends whose segment is never replaced.
   */
  protected void freeReplaced() {}

  /**
   * Releases the reservation's memory; no operation runs any more.
   *
   * @throws BackendException if the system refuses
   */
  protected abstract void release();

  /**
   * The reservation, for messages.
   *
   * @return for example {@code byteSize=65536 bytes (64 KiB)}
   */
  protected String describe() {
    return "byteSize=" + ByteCount.of(byteSize);
  }

  // ---- helpers for primitives -----------------------------------------------------------------

  /**
   * Writes the baseline of {@code [from, to)} into {@code target} (the reservation's memory from
   * offset 0): the mapped images' bytes where they are mapped, zero elsewhere.
   *
   * @param target the memory to write
   * @param from the first byte
   * @param to one past the last byte; nothing is written if not above {@code from}
   */
  protected final void writeBaseline(MemorySegment target, long from, long to) {
    if (to <= from) {
      return;
    }
    List<Piece<I>> pieces = new ArrayList<>();
    synchronized (books) {
      images.forEachOverlap(from, to, (s, e, m) -> pieces.add(new Piece<>(s, e, m)));
    }
    long pos = from;
    for (Piece<I> piece : pieces) {
      if (piece.start() > pos) {
        target.asSlice(pos, piece.start() - pos).fill((byte) 0);
      }
      MemorySegment.copy(
          piece.mapping().image().bytes(),
          piece.start() - piece.mapping().offset(),
          target,
          piece.start(),
          piece.end() - piece.start());
      pos = piece.end();
    }
    if (to > pos) {
      target.asSlice(pos, to - pos).fill((byte) 0);
    }
  }

  /**
   * Where the booked bytes end: above it nothing is accessible and no image is mapped.
   *
   * @return one past the last accessible or image byte, or {@code 0}
   */
  protected final long bookedEnd() {
    synchronized (books) {
      return Math.max(accessible.end(), images.end());
    }
  }

  /**
   * Counts an operation that is not one of {@link Reservation}'s (a batched decommit) in flight,
   * after checking its range; end it with {@link #exitOperation}.
   *
   * @param operation the operation, for messages
   * @param offset the range's start
   * @param length its length
   * @return the stamp for {@link #exitOperation}
   * @throws BackendException if the range is invalid or the reservation was closed
   */
  protected final int enterOperation(String operation, long offset, long length) {
    int stamp = enter(operation, offset, length);
    String problem = rangeProblem(offset, length);
    if (problem != null) {
      inFlight.exit(stamp);
      throw new BackendException(operation, Ranges.args(offset, length), problem);
    }
    return stamp;
  }

  /**
   * Ends what {@link #enterOperation} began.
   *
   * @param stamp its stamp
   */
  protected final void exitOperation(int stamp) {
    inFlight.exit(stamp);
  }

  /**
   * Whether the reservation was closed.
   *
   * @return {@code true} once {@link #close()} began releasing it
   */
  protected final boolean isClosed() {
    return closed;
  }

  // ---- Reservation ----------------------------------------------------------------------------

  @Override
  public final long byteSize() {
    return byteSize;
  }

  @Override
  public final MemorySegment segment() {
    if (closed) {
      throw new BackendException("segment", describe(), "the reservation was closed");
    }
    return segmentForCaller();
  }

  @Override
  public final void releaseReplacedSegments() {
    int stamp = enter("releaseReplacedSegments", 0, 0);
    try {
      freeReplaced();
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public final void makeAccessible(long offset, long length) {
    changeAccess("makeAccessible", offset, length, true);
  }

  @Override
  public final void makeInaccessible(long offset, long length) {
    changeAccess("makeInaccessible", offset, length, false);
  }

  private void changeAccess(String operation, long offset, long length, boolean readWrite) {
    int stamp = enter(operation, offset, length);
    try {
      requireRange(operation, offset, length);
      if (length == 0) {
        return;
      }
      protect(offset, length, readWrite);
      synchronized (books) {
        if (readWrite) {
          accessible.put(offset, offset + length, Boolean.TRUE);
        } else {
          accessible.remove(offset, offset + length);
        }
      }
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public final void reset(long offset, long length, long keepResidentBytes) {
    resetRange(offset, length, keepResidentBytes, null);
  }

  @Override
  public final void reset(
      long offset, long length, long keepResidentBytes, DecommitBatch deferred) {
    resetRange(offset, length, keepResidentBytes, Objects.requireNonNull(deferred, "deferred"));
  }

  private void resetRange(
      long offset, long length, long keepResidentBytes, @Nullable DecommitBatch deferred) {
    int stamp = enter("reset", offset, length);
    try {
      String problem = rangeProblem(offset, length);
      if (problem == null && (keepResidentBytes < 0 || keepResidentBytes % pageSize != 0)) {
        problem =
            "keepResidentBytes must be a non-negative multiple of the page size "
                + ByteCount.of(pageSize);
      }
      if (problem != null) {
        throw new BackendException(
            "reset", Ranges.resetArgs(offset, length, keepResidentBytes), problem);
      }
      if (length == 0) {
        return;
      }
      long keepEnd = offset + Math.min(keepResidentBytes, length);
      if (keepEnd > offset) {
        checkPrefixAccessible(offset, length, keepResidentBytes, keepEnd);
      }
      restore(offset, length, keepEnd, deferred);
    } finally {
      inFlight.exit(stamp);
    }
  }

  /** Checks that the keep-resident prefix, which is written by hand, is accessible. */
  private void checkPrefixAccessible(long offset, long length, long keepResidentBytes, long keepEnd) {
    synchronized (books) {
      // Only the prefix is written by hand: it must be accessible.
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

  @Override
  public final void mapImage(long offset, MemoryImage image) {
    Objects.requireNonNull(image, "image");
    int stamp = enter("mapImage", offset, image.byteSize());
    try {
      I own = imageType.isInstance(image) ? imageType.cast(image) : null;
      if (own == null || !own.madeBy(open)) {
        throw new BackendException(
            "mapImage", Ranges.imageArgs(offset, image), "the image was not created by this backend");
      }
      long length = own.byteSize();
      String problem = rangeProblem(offset, length);
      if (problem != null) {
        throw new BackendException("mapImage", Ranges.imageArgs(offset, image), problem);
      }
      long end = offset + length;
      synchronized (books) {
        Ranges.requireNoImageOverlap(images, offset, end, image, Mapping::offset);
      }
      own.pin("mapImage", offset);
      try {
        mapImageBytes(offset, own);
      } catch (BackendException e) {
        own.unpin();
        paveAfterFailure(offset, end, e);
        throw e;
      }
      synchronized (books) {
        images.put(offset, end, new Mapping<>(offset, own));
        accessible.put(offset, end, Boolean.TRUE);
      }
      // Mapping over a coloured range resets its key: apply it again.
      recolour(offset, end, true);
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public final void removeImage(long offset) {
    int stamp = enter("removeImage", offset, 0);
    try {
      String problem = rangeProblem(offset, 0);
      Mapping<I> mapping;
      long end;
      synchronized (books) {
        mapping = problem == null ? images.startingAt(offset) : null;
        end = images.endOf(offset);
      }
      if (mapping == null) {
        throw new BackendException(
            "removeImage",
            "offset=" + ByteCount.of(offset),
            problem != null ? problem : "no image is mapped at offset " + ByteCount.of(offset));
      }
      try {
        unmapImageBytes(offset, end - offset);
      } catch (BackendException e) {
        paveAfterFailure(offset, end, e);
        throw e;
      }
      synchronized (books) {
        images.remove(offset, end);
        accessible.put(offset, end, Boolean.TRUE);
      }
      recolour(offset, end, true);
      mapping.image().unpin();
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public final void colour(long offset, long length, ProtectionKey key) {
    Objects.requireNonNull(key, "key");
    int stamp = enter("colour", offset, length);
    try {
      String problem = rangeProblem(offset, length);
      if (problem == null) {
        problem = keyProblem(key);
      }
      if (problem != null) {
        throw new BackendException(
            "colour", Ranges.args(offset, length) + ", key=" + key.value(), problem);
      }
      if (length == 0) {
        return;
      }
      long end = offset + length;
      List<long[]> open = new ArrayList<>();
      synchronized (books) {
        accessible.forEachOverlap(offset, end, (s, e, v) -> open.add(new long[] {s, e}));
      }
      // Colouring sets protection too: accessible pages stay accessible, the rest not.
      long pos = offset;
      for (long[] range : open) {
        if (range[0] > pos) {
          protectWithKey(pos, range[0] - pos, false, key);
        }
        protectWithKey(range[0], range[1] - range[0], true, key);
        pos = range[1];
      }
      if (end > pos) {
        protectWithKey(pos, end - pos, false, key);
      }
      synchronized (books) {
        colours.put(offset, end, key);
      }
    } finally {
      inFlight.exit(stamp);
    }
  }

  @Override
  public final boolean revoke(long offset, long length) {
    int stamp = enter("revoke", offset, length);
    try {
      requireRange("revoke", offset, length);
      if (length == 0) {
        return true;
      }
      if (!revokeBytes(offset, length)) {
        return false;
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
  public final void close() {
    if (!inFlight.close()) {
      throw new BackendException("close", describe(), "the reservation was already closed");
    }
    closed = true;
    release();
    List<I> mapped = new ArrayList<>();
    synchronized (books) {
      images.forEach((s, e, m) -> mapped.add(m.image()));
      images.remove(0, byteSize);
      accessible.remove(0, byteSize);
      colours.remove(0, byteSize);
    }
    open.reservationClosed();
    for (I image : mapped) {
      image.unpin();
    }
  }

  /**
   * Whether a range is readable and writable, for tests and diagnostics.
   *
   * @param offset the start
   * @param length the length
   * @return {@code true} if every page of the range is accessible
   */
  public final boolean isAccessible(long offset, long length) {
    synchronized (books) {
      return accessible.covers(offset, offset + length);
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Starts an operation, failing if the reservation was closed; ended in {@code finally}. */
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

  private @Nullable String rangeProblem(long offset, long length) {
    return Ranges.problem(offset, length, pageSize, byteSize);
  }

  /** Re-applies the keys of coloured pages in {@code [start, end)} after a mapping reset them. */
  private void recolour(long start, long end, boolean readWrite) {
    List<Coloured> keyed;
    synchronized (books) {
      if (colours.isEmpty()) {
        return; // the common case: nothing coloured, nothing allocated
      }
      keyed = new ArrayList<>();
      colours.forEachOverlap(start, end, (s, e, key) -> keyed.add(new Coloured(s, e, key)));
    }
    for (Coloured piece : keyed) {
      protectWithKey(piece.start(), piece.end() - piece.start(), readWrite, piece.key());
    }
  }

  /**
   * Paves {@code [start, end)} after a refused mapping, so that it stays ours, and forgets what was
   * there (its images, accessibility); a refused pave leaves the books as they were.
   */
  private void paveAfterFailure(long start, long end, BackendException cause) {
    try {
      pave(start, end - start);
    } catch (BackendException paveFailure) {
      cause.addSuppressed(paveFailure);
      return;
    }
    List<I> dropped = new ArrayList<>();
    synchronized (books) {
      images.forEachOverlap(start, end, (s, e, m) -> dropped.add(m.image()));
      images.remove(start, end);
      accessible.remove(start, end);
    }
    try {
      recolour(start, end, false);
    } catch (BackendException recolourFailure) {
      cause.addSuppressed(recolourFailure);
    }
    for (I image : dropped) {
      image.unpin();
    }
  }
}
