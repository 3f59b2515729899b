package dev.wasmpool.api;

import java.lang.foreign.MemorySegment;

/**
 * One linear memory of an {@link InstanceAllocation}, held in a pool slot.
 *
 * <p>Thread-safety: reads and writes through {@link #segment()} may come from any thread;
 * {@link #grow(long)} must not race with itself.
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
   * After {@link #grow(long)} a new, larger segment is returned; the old one stays valid.
   *
   * @return the segment
   * @throws IllegalStateException if the allocation was closed
   */
  MemorySegment segment();

  /**
   * The current size.
   *
   * @return the size in pages
   */
  long pages();

  /**
   * The size this memory may grow to: the least of its declared maximum, the engine's {@code
   * maxMemorySize} and the runtime's limit, in pages.
   *
   * @return the maximum in pages
   */
  long maximumPages();

  /**
   * Grows the memory in place. New pages read zero.
   *
   * @param deltaPages the number of pages to add, not negative
   * @return the previous size in pages, or {@code -1} if the memory cannot grow that far (it is
   *     then unchanged)
   * @throws IllegalStateException if the allocation was closed
   */
  long grow(long deltaPages);

  /**
   * Whether the module's active data with constant offsets is already in place (the slot holds
   * the module's memory image), so the runtime may skip writing those segments.
   *
   * @return {@code true} if the image's bytes are in place
   */
  boolean imageInPlace();
}
