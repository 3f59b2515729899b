package dev.wasmpool.portable;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.support.BookedReservation;
import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.support.OpenResources;
import dev.wasmpool.spi.support.RangeMap;
import dev.wasmpool.spi.support.Ranges;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A reservation whose memory is allocated off the Java heap as it is needed, and only as much as
 * is needed: nothing until a range is made accessible or an image is mapped, then one segment
 * covering the booked bytes.
 *
 * <p>Without virtual memory there are no page protections: "inaccessible" is bookkeeping (the pool
 * bounds every access itself), images are copied in, and resets write every byte (zero, or the
 * image's bytes). The books are {@link BookedReservation}'s; this class keeps only its memory.
 */
final class PortableReservation extends BookedReservation<PortableImage> {

  /*
   * Memory: `backing` covers [0, capacity). Bytes at or above capacity read their baseline, zero:
   * an image's range is always below capacity (mapping it allocates it), and so is every byte that
   * may differ from its baseline (`unreset`).
   *
   * Growth, when makeAccessible or mapImage needs bytes beyond capacity: a new segment is allocated
   * from its own arena, the contents are copied, and the old one is
   *   - freed at once if no segment was handed out since the last whole reset (no view of it can
   *     exist: Reservation.segment()'s contract). The new one is then exactly as large as needed.
   *   - kept otherwise (a tenant may still read through a view of it) until the caller says no
   *     view of it remains (releaseReplacedSegments: the pool's views are per growth generation,
   *     and it closes the old generation's arenas first) or the next whole reset. The new one then
   *     doubles the capacity (at least to the needed end, at most the reservation's size), which
   *     bounds the kept segments to the size of the current one, and the current one to twice the
   *     accessible bytes, while a tenant grows; and it makes the copies amortised.
   * A whole reset frees every kept segment and shrinks the current one to the booked bytes, so a
   * slot between tenants holds its memory's size, not its growth history.
   *
   * Concurrency: the memory is guarded by `this`. The books run operations on disjoint ranges in
   * parallel; growth copies and replaces the whole segment, which must not race with a write into
   * it, so every primitive that touches `backing` holds the lock. The books' own lock is taken
   * inside it (writeBaseline, bookedEnd), never around it.
   */

  private final long byteSize;

  /** The current memory, {@link MemorySegment#NULL} before any; guarded by {@code this}. */
  private MemorySegment backing = MemorySegment.NULL;

  /** Owns {@link #backing}; {@code null} while nothing is allocated. Guarded by {@code this}. */
  private @Nullable Arena backingArena;

  /** Replaced segments kept for views still handed out; guarded by {@code this}. */
  private final List<Arena> kept = new ArrayList<>();

  /** The bytes of the segments in {@link #kept}; guarded by {@code this}. */
  private long keptBytes;

  /** Whether {@link #segment()} was called since the last whole reset; guarded by {@code this}. */
  private boolean handedOut;

  /** Pages that may differ from their baseline: made accessible since last reset. Guarded by {@code this}. */
  private final RangeMap<Boolean> unreset = new RangeMap<>(true);

  /** How many segments were allocated so far, for tests; guarded by {@code this}. */
  private int generations;

  /**
   * An empty reservation; allocates nothing yet.
   *
   * @param open the backend's open resources, told when this reservation closes
   * @param byteSize the size
   * @param pageSize the page size
   */
  PortableReservation(OpenResources open, long byteSize, long pageSize) {
    super(open, PortableImage.class, byteSize, pageSize);
    this.byteSize = byteSize;
  }

  /**
   * How many bytes the current segment holds, for tests.
   *
   * @return its size
   */
  synchronized long capacity() {
    return backing.byteSize();
  }

  /**
   * How many segments were allocated so far, for tests.
   *
   * @return the number of allocations
   */
  synchronized int generations() {
    return generations;
  }

  /**
   * How many replaced segments are kept for views that may still be in use, for tests.
   *
   * @return the count
   */
  synchronized int keptSegments() {
    return kept.size();
  }

  @Override
  public synchronized long residentBytes() {
    return isClosed() ? 0 : backing.byteSize() + keptBytes;
  }

  // ---- primitives -----------------------------------------------------------------------------

  @Override
  protected synchronized MemorySegment segmentForCaller() {
    handedOut = true;
    return backing;
  }

  @Override
  protected synchronized void protect(long offset, long length, boolean readWrite) {
    if (readWrite) {
      ensureCapacity("makeAccessible", offset, length);
      unreset.put(offset, offset + length, Boolean.TRUE);
    }
    // Made inaccessible: contents are kept, only the books change.
  }

  @Override
  protected void restore(long offset, long length, long keepEnd, @Nullable DecommitBatch deferred) {
    // Asked before this object's monitor: the books' holders take it in mapImageBytes.
    boolean whole = holdsAllAccessible(offset, length);
    synchronized (this) {
      // No decommit without virtual memory: the whole range is restored by writing, and `deferred`
      // gets nothing.
      writeBaseline(backing, offset, Math.min(offset + length, backing.byteSize()));
      unreset.remove(offset, offset + length);
      if (whole) {
        shrinkToBooked();
      }
    }
  }

  @Override
  protected synchronized void mapImageBytes(long offset, PortableImage image) {
    long length = image.byteSize();
    ensureCapacity("mapImage", offset, length);
    MemorySegment.copy(image.bytes(), 0, backing, offset, length);
    unreset.put(offset, offset + length, Boolean.TRUE);
  }

  @Override
  protected synchronized void unmapImageBytes(long offset, long length) {
    backing.asSlice(offset, length).fill((byte) 0);
  }

  @Override
  protected synchronized void pave(long offset, long length) {
    long end = Math.min(offset + length, backing.byteSize());
    if (end > offset) {
      backing.asSlice(offset, end - offset).fill((byte) 0);
    }
    unreset.remove(offset, offset + length);
  }

  @Override
  protected @Nullable String keyProblem(ProtectionKey key) {
    return "protection keys are unsupported by the portable backend";
  }

  @Override
  protected synchronized void freeReplaced() {
    // The current segment stays handed out: its views live on, and its replacement keeps it.
    freeKept();
  }

  @Override
  protected synchronized void release() {
    // Frees every segment; views made from them fail with IllegalStateException, never crash
    // (unless re-scoped by the caller, which the segment contract covers).
    backing = MemorySegment.NULL;
    free(backingArena);
    backingArena = null;
    freeKept();
  }

  // ---- memory ---------------------------------------------------------------------------------

  /** Grows the memory to cover {@code [0, offset + length)}; guarded by {@code this}. */
  private void ensureCapacity(String operation, long offset, long length) {
    long end = offset + length;
    long capacity = backing.byteSize();
    if (end <= capacity) {
      return;
    }
    long size = end;
    if (handedOut) {
      long doubled = capacity > byteSize / 2 ? byteSize : capacity * 2;
      size = Math.min(byteSize, Math.max(end, doubled));
    }
    replace(operation, offset, length, size, capacity);
  }

  /**
   * After a whole reset: frees the kept segments and shrinks the current one to the bytes the books
   * and {@link #unreset} still need; no segment is handed out any more. Guarded by {@code this}.
   */
  private void shrinkToBooked() {
    handedOut = false;
    long needed = Math.max(bookedEnd(), unreset.end());
    if (needed < backing.byteSize()) {
      if (needed == 0) {
        backing = MemorySegment.NULL;
        free(backingArena);
        backingArena = null;
      } else {
        // Cannot fail for want of memory in a way that loses bytes: the old segment stays if the
        // smaller one cannot be allocated.
        try {
          replace("reset", 0, needed, needed, needed);
        } catch (BackendException e) {
          // Keep the larger segment: correct, only bigger than needed.
        }
      }
    }
    freeKept();
  }

  /**
   * Replaces the current segment by a new one of {@code size} bytes holding the first {@code
   * carried} bytes of the old; the old is freed, or kept while a segment is handed out.
   */
  private void replace(String operation, long offset, long length, long size, long carried) {
    Arena arena = Arena.ofShared();
    MemorySegment next;
    try {
      next = arena.allocate(size, PortableBackend.PAGE_SIZE); // zero-filled: the baseline
    } catch (OutOfMemoryError e) {
      arena.close();
      throw new BackendException(
          operation,
          Ranges.args(offset, length),
          "cannot allocate " + ByteCount.of(size) + ": " + e.getMessage());
    }
    MemorySegment.copy(backing, 0, next, 0, Math.min(carried, backing.byteSize()));
    Arena old = backingArena;
    if (old != null) {
      if (handedOut) {
        kept.add(old);
        keptBytes += backing.byteSize();
      } else {
        old.close();
      }
    }
    backing = next;
    backingArena = arena;
    generations++;
  }

  /** Frees the kept segments; guarded by {@code this}. */
  private void freeKept() {
    for (Arena arena : kept) {
      arena.close();
    }
    kept.clear();
    keptBytes = 0;
  }

  private static void free(@Nullable Arena arena) {
    if (arena != null) {
      arena.close();
    }
  }

  @Override
  public synchronized String toString() {
    return "PortableReservation["
        + describe()
        + ", capacity="
        + ByteCount.of(backing.byteSize())
        + ", kept="
        + ByteCount.of(keptBytes)
        + (isClosed() ? ", closed" : "")
        + "]";
  }
}
