package dev.wasmpool.api.binding;

import java.lang.foreign.MemorySegment;

/**
 * One linear memory of an {@link InstanceAllocation}, held in a pool slot.
 *
 * <p>Thread-safety: reads and writes through {@link #segment()} may come from any thread, those
 * through {@link #localSegment()} from the thread that called it; {@link #grow(long)} must not race
 * with itself.
 */
public interface LinearMemory {

  /**
   * The index of this memory among the module's defined memories.
   *
   * @return the index
   */
  int index();

  /**
   * The accessible bytes of this memory: exactly {@link #pages()} pages. The segment belongs to
   * the allocation: once it is closed every access through this segment (or any slice of it)
   * throws {@link IllegalStateException}, so a stale handle never reaches the slot's next tenant.
   *
   * <p>After {@link #grow(long)} call this again: the new segment covers the new size. On a backend
   * with virtual reservations (Linux) the old one stays valid for its own size until the allocation
   * closes. On one without (the portable one) a growth may move the memory to larger storage; the
   * growth then ends every segment of this memory taken before it, from {@link #segment()} and, when
   * it runs on the thread that made the allocation, from {@link #localSegment()}: their accesses
   * throw {@link IllegalStateException}, and the old storage is freed, so the slot holds about the
   * memory's current size. A growth on another thread leaves the owner's local segment valid (on
   * the old storage, whose writes are not seen through the new segment) until the owner next calls
   * {@link #localSegment()}. Never cache the segment across a growth.
   *
   * @return the segment
   * @throws IllegalStateException if the allocation was closed
   */
  MemorySegment segment();

  /**
   * The accessible bytes of this memory, like {@link #segment()}, for use by the calling thread
   * only. On the thread that made the allocation (the one a runtime usually runs the instance on)
   * the segment is bound to an arena confined to that thread, so that closing the allocation there
   * needs no handshake with the JVM's other threads (a shared arena's close costs about ten
   * microseconds, more than the rest of a pooled instantiation). On any other thread it is {@link
   * #segment()}. A runtime that may run the instance on several threads takes this view and falls
   * back to {@link #segment()} when an access throws {@link WrongThreadException}.
   *
   * <p>Once the allocation is closed every access through the segment fails, except that after a
   * close on another thread the owner's accesses still reach this tenant's own bytes (in an address
   * range no next tenant gets, see {@link InstanceAllocation}) until the owner's views are taken
   * back, or until the engine is closed, which on
   * Linux revokes them (see {@link dev.wasmpool.api.Engine#close()}). Call it again after {@link
   * #grow(long)}: on the portable backend a growth may end it, as {@link #segment()} says.
   *
   * @return the segment, confined to the calling thread when it made the allocation
   * @throws IllegalStateException if the allocation was closed
   */
  default MemorySegment localSegment() {
    return segment();
  }

  /**
   * The current size.
   *
   * @return the size in pages
   */
  long pages();

  /**
   * The size this memory may grow to, in pages: with the pooling strategy the least of its
   * declared maximum, {@code maxMemorySize / 65536} and 65536; with the on-demand strategy the
   * least of its declared maximum (65536 when absent) and {@code memoryReservation / 65536}, but
   * never below its minimum. A runtime may cap it further (Chicory at 32767).
   *
   * @return the maximum in pages
   */
  long maximumPages();

  /**
   * Grows the memory in place (never by copying into a new slot). New pages read zero.
   *
   * @param deltaPages the number of pages to add, not negative
   * @return the previous size in pages, or {@code -1} if the memory cannot grow that far: beyond
   *     {@link #maximumPages()}, or the backend refused (the memory is then unchanged and still
   *     usable; its slot is erased before it is reused)
   * @throws IllegalArgumentException if {@code deltaPages} is negative
   * @throws IllegalStateException if the allocation was closed
   */
  long grow(long deltaPages);

  /**
   * Whether the module's active data is already in place, so the runtime must skip writing those
   * segments (writing them again would be harmless but slow). True exactly when {@link
   * PooledModule#hasImage(int)} is true for this memory: copy-on-write images are enabled ({@code
   * memoryInitCow}), every active segment of the memory has a constant offset and fits its
   * minimum size, and the data is dense enough. When false, the runtime writes the data itself;
   * the memory is then all zero at allocation.
   *
   * @return {@code true} if the image's bytes are in place
   */
  boolean imageInPlace();

  /**
   * The rights guest code needs to reach this memory: those of the allocation it belongs to when
   * the pool is striped with protection keys. A binding widens an instance's rights with them when
   * the instance imports this memory.
   *
   * @return {@link GuestRights#UNRESTRICTED} unless the memory is in a striped pool
   */
  default GuestRights guestRights() {
    return GuestRights.UNRESTRICTED;
  }
}
