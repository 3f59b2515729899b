package dev.wasmpool.portable;

import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.Reservation;
import dev.wasmpool.spi.support.RangeMap;
import dev.wasmpool.spi.support.Ranges;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A reservation whose memory is committed lazily, off the Java heap, from a shared {@link Arena}:
 * nothing is allocated until a range is made accessible or an image is mapped.
 *
 * <p>Without virtual memory there are no page protections: "inaccessible" is bookkeeping (the pool
 * bounds every access itself), images are copied in, and resets write every byte (zero, or the
 * image's bytes).
 */
final class PortableReservation implements Reservation {

  /*
   * Layout: `backing` covers [0, capacity). Bytes at or above capacity were never accessible and
   * read their baseline, zero (an image's range is always below capacity, since mapping it
   * allocates it). When makeAccessible or mapImage needs bytes beyond capacity, a larger segment is
   * allocated (capacity doubles, at least to the needed end, at most the reservation's size), the
   * contents are copied, and the old segment is kept: callers may still hold it, and the SPI
   * promises a stale view never reaches freed memory. All segments go when the arena is closed by
   * close(). The doubling bounds the memory kept by old segments to the size of the current one.
   *
   * Concurrency: every method is synchronized. Without virtual reservation the pool makes one
   * reservation per slot, used by one instance at a time, so there is no contention to avoid;
   * growth copies the whole reservation, which must not race with any other operation on it.
   */

  private final PortableBackend owner;
  private final long byteSize;
  private final long pageSize;

  /**
   * Owns every backing segment; made on the first allocation (so a reservation that never holds
   * memory costs no arena) and closed with the reservation. Guarded by {@code this}.
   */
  private @Nullable Arena arena;

  /** The current backing memory; guarded by {@code this}. */
  private MemorySegment backing = MemorySegment.NULL;

  /** How many backing segments were allocated, for tests; guarded by {@code this}. */
  private int generations;

  /** Guarded by {@code this}. */
  private boolean closed;

  /** Accessible pages; guarded by {@code this}. */
  private final RangeMap<Boolean> accessible = new RangeMap<>(true);

  /** Mapped images by range; guarded by {@code this}. */
  private final RangeMap<Mapping> images = new RangeMap<>(false);

  /**
   * One image mapped at one offset.
   *
   * @param offset where the mapping starts
   * @param image the image
   */
  private record Mapping(long offset, PortableImage image) {}

  /**
   * An empty reservation; allocates nothing yet.
   *
   * @param owner the backend
   * @param byteSize the size
   * @param pageSize the page size
   */
  PortableReservation(PortableBackend owner, long byteSize, long pageSize) {
    this.owner = owner;
    this.byteSize = byteSize;
    this.pageSize = pageSize;
  }

  @Override
  public long byteSize() {
    return byteSize;
  }

  @Override
  public synchronized MemorySegment segment() {
    if (closed) {
      throw new BackendException("segment", describe(), "the reservation was closed");
    }
    return backing;
  }

  /**
   * How many bytes are allocated, for tests.
   *
   * @return the size of the current backing segment
   */
  synchronized long capacity() {
    return backing.byteSize();
  }

  /**
   * How many backing segments were allocated so far, for tests.
   *
   * @return the number of growths
   */
  synchronized int generations() {
    return generations;
  }

  @Override
  public synchronized void makeAccessible(long offset, long length) {
    requireOpenRange("makeAccessible", offset, length);
    if (length == 0) {
      return;
    }
    ensureCapacity("makeAccessible", offset, length, offset + length);
    accessible.put(offset, offset + length, Boolean.TRUE);
  }

  @Override
  public synchronized void makeInaccessible(long offset, long length) {
    requireOpenRange("makeInaccessible", offset, length);
    // Contents are kept: only the bookkeeping changes.
    accessible.remove(offset, offset + length);
  }

  @Override
  public synchronized void reset(long offset, long length, long keepResidentBytes) {
    String problem = closed ? "the reservation was closed" : rangeProblem(offset, length);
    if (problem == null && (keepResidentBytes < 0 || keepResidentBytes % pageSize != 0)) {
      problem =
          "keepResidentBytes must be a non-negative multiple of the page size " + ByteCount.of(pageSize);
    }
    if (problem != null) {
      throw new BackendException("reset", Ranges.resetArgs(offset, length, keepResidentBytes), problem);
    }
    long keepEnd = offset + Math.min(keepResidentBytes, length);
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
    // No decommit without virtual memory: the whole range is restored by writing.
    long end = Math.min(offset + length, backing.byteSize());
    if (end <= offset) {
      return; // never allocated: reads zero already
    }
    List<Mapping> pieces = new ArrayList<>();
    List<long[]> bounds = new ArrayList<>();
    images.forEachOverlap(
        offset,
        end,
        (s, e, m) -> {
          pieces.add(m);
          bounds.add(new long[] {s, e});
        });
    long pos = offset;
    for (int i = 0; i < pieces.size(); i++) {
      long s = bounds.get(i)[0];
      long e = bounds.get(i)[1];
      if (s > pos) {
        backing.asSlice(pos, s - pos).fill((byte) 0);
      }
      Mapping mapping = pieces.get(i);
      MemorySegment.copy(mapping.image().bytes(), s - mapping.offset(), backing, s, e - s);
      pos = e;
    }
    if (end > pos) {
      backing.asSlice(pos, end - pos).fill((byte) 0);
    }
  }

  @Override
  public synchronized void mapImage(long offset, MemoryImage image) {
    Objects.requireNonNull(image, "image");
    if (closed) {
      throw new BackendException("mapImage", Ranges.imageArgs(offset, image), "the reservation was closed");
    }
    if (!(image instanceof PortableImage portableImage) || portableImage.owner() != owner) {
      throw new BackendException(
          "mapImage", Ranges.imageArgs(offset, image), "the image was not created by this backend");
    }
    long length = portableImage.byteSize();
    String problem = rangeProblem(offset, length);
    if (problem != null) {
      throw new BackendException("mapImage", Ranges.imageArgs(offset, image), problem);
    }
    long end = offset + length;
    Ranges.requireNoImageOverlap(images, offset, end, image, Mapping::offset);
    portableImage.requireOpen("mapImage", offset);
    ensureCapacity("mapImage", offset, length, end);
    MemorySegment.copy(portableImage.bytes(), 0, backing, offset, length);
    images.put(offset, end, new Mapping(offset, portableImage));
    accessible.put(offset, end, Boolean.TRUE);
  }

  @Override
  public synchronized void removeImage(long offset) {
    String problem = closed ? "the reservation was closed" : rangeProblem(offset, 0);
    Mapping mapping = problem == null ? images.startingAt(offset) : null;
    if (mapping == null) {
      throw new BackendException(
          "removeImage",
          "offset=" + ByteCount.of(offset),
          problem != null
              ? problem
              : "no image is mapped at offset " + ByteCount.of(offset));
    }
    long end = images.endOf(offset);
    backing.asSlice(offset, end - offset).fill((byte) 0);
    images.remove(offset, end);
    accessible.put(offset, end, Boolean.TRUE);
  }

  @Override
  public synchronized void colour(long offset, long length, ProtectionKey key) {
    Objects.requireNonNull(key, "key");
    String problem = closed ? "the reservation was closed" : rangeProblem(offset, length);
    throw new BackendException(
        "colour",
        Ranges.args(offset, length) + ", key=" + key.value(),
        problem != null ? problem : "protection keys are unsupported by the portable backend");
  }

  @Override
  public void close() {
    Arena owned;
    synchronized (this) {
      if (closed) {
        throw new BackendException("close", describe(), "the reservation was already closed");
      }
      closed = true;
      images.remove(0, byteSize);
      accessible.remove(0, byteSize);
      backing = MemorySegment.NULL;
      owned = arena;
      arena = null;
    }
    // Frees every backing segment; stale views now fail with IllegalStateException, never crash.
    if (owned != null) {
      owned.close();
    }
    owner.reservationClosed();
  }

  // ---- helpers ----

  /** Grows the backing memory to cover {@code [0, end)}, keeping the old segment allocated. */
  private void ensureCapacity(String operation, long offset, long length, long end) {
    long capacity = backing.byteSize();
    if (end <= capacity) {
      return;
    }
    long doubled = capacity > byteSize / 2 ? byteSize : capacity * 2;
    long grown = Math.min(byteSize, Math.max(end, doubled));
    Arena current = arena;
    if (current == null) {
      current = Arena.ofShared();
      arena = current;
    }
    MemorySegment next;
    try {
      next = current.allocate(grown, pageSize); // zero-filled
    } catch (OutOfMemoryError e) {
      throw new BackendException(
          operation,
          Ranges.args(offset, length),
          "cannot allocate " + ByteCount.of(grown) + ": " + e.getMessage());
    }
    MemorySegment.copy(backing, 0, next, 0, capacity);
    backing = next;
    generations++;
  }

  /** Throws if closed or if the range is not page-aligned inside the reservation. */
  private void requireOpenRange(String operation, long offset, long length) {
    String problem = closed ? "the reservation was closed" : rangeProblem(offset, length);
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

  private String describe() {
    return "byteSize=" + ByteCount.of(byteSize);
  }

  @Override
  public synchronized String toString() {
    return "PortableReservation["
        + describe()
        + ", capacity=" + ByteCount.of(backing.byteSize())
        + (closed ? ", closed" : "")
        + "]";
  }
}
