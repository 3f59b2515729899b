package dev.wasmpool.api.internal.layout;

import java.util.Objects;

/**
 * The memory pool's slab: a leading guard, {@code numSlots} slots of {@code slotBytes} each, and a
 * trailing guard, all page-aligned; slot {@code i} belongs to stripe {@code i % numStripes}.
 * Immutable.
 *
 * @param numSlots the number of memory slots
 * @param slotBytes the distance in bytes from one slot's start to the next's, page-aligned
 * @param preSlabGuardBytes bytes of inaccessible space before slot 0, page-aligned
 * @param postSlabGuardBytes bytes of inaccessible space after the last slot, page-aligned; with
 *     stripes it extends the last slots' guard to the full faulting region
 * @param numStripes how many protection-key stripes the slots are coloured with; 1 means no
 *     striping
 */
public record SlabLayout(
    int numSlots, long slotBytes, long preSlabGuardBytes, long postSlabGuardBytes, int numStripes) {

  /** The message when the slab's size does not fit in 64 bits. */
  static final String TOO_LARGE = "total size of memory reservation exceeds addressable memory";

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException if a size or count is negative, {@code numStripes} is below
   *     1, or the total size overflows ({@code "total size of memory reservation exceeds
   *     addressable memory"})
   */
  public SlabLayout {
    if (numSlots < 0 || slotBytes < 0 || preSlabGuardBytes < 0 || postSlabGuardBytes < 0) {
      throw new IllegalArgumentException(
          "slab sizes must not be negative (was numSlots="
              + numSlots
              + ", slotBytes="
              + slotBytes
              + ", preSlabGuardBytes="
              + preSlabGuardBytes
              + ", postSlabGuardBytes="
              + postSlabGuardBytes
              + ")");
    }
    if (numStripes < 1) {
      throw new IllegalArgumentException("numStripes must be at least 1 (was " + numStripes + ")");
    }
    total(numSlots, slotBytes, preSlabGuardBytes, postSlabGuardBytes);
  }

  /**
   * Lays out a slab for the constraints.
   *
   * <p>All inputs are first rounded up to whole pages. The faulting region of a slot, what one
   * memory may touch plus its guard, is {@code max(expected, maxMemory) + guard}. Without
   * striping (no guard, no maximum memory size, no slots, or fewer than two keys) a slot is the
   * whole faulting region. With striping, {@code k = min(keys, ceil(region / maxMemory), slots)}
   * stripes share it: a slot shrinks to {@code max(ceil(region / k), maxMemory)}, page-rounded,
   * because the {@code k - 1} slots after it belong to other keys and fault for its instance. The
   * trailing guard then covers what the last slot's region lacks. (Wasmtime divides rounding
   * down; the results differ only when {@code k} exceeds the page size, which no hardware
   * allows.)
   *
   * @param c the constraints
   * @return the layout
   * @throws IllegalArgumentException {@code "total size of memory reservation exceeds addressable
   *     memory"} if a size overflows 64 bits
   */
  public static SlabLayout calculate(SlabConstraints c) {
    try {
      long page = c.pageSize();
      long expected = roundUp(c.expectedSlotBytes(), page);
      long maxMemory = roundUp(c.maxMemoryBytes(), page);
      long guard = roundUp(c.guardBytes(), page);
      long pre = c.guardBeforeSlots() ? guard : 0;
      long faultingRegion = Math.addExact(Math.max(expected, maxMemory), guard);

      int stripes;
      long slotBytes;
      if (guard == 0 || maxMemory == 0 || c.numSlots() == 0 || c.numPkeysAvailable() < 2) {
        stripes = 1;
        slotBytes = faultingRegion;
      } else {
        long needed = Math.ceilDiv(faultingRegion, maxMemory);
        stripes = (int) Math.min(Math.min(c.numPkeysAvailable(), needed), c.numSlots());
        slotBytes = Math.max(Math.ceilDiv(faultingRegion, stripes), maxMemory);
      }
      slotBytes = roundUp(slotBytes, page);
      long post = Math.max(0, faultingRegion - slotBytes);
      return new SlabLayout(c.numSlots(), slotBytes, pre, post, stripes);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(TOO_LARGE, e);
    }
  }

  /**
   * The slab's size: {@code preSlabGuardBytes + numSlots * slotBytes + postSlabGuardBytes}.
   *
   * @return bytes of address space to reserve
   */
  public long totalSlabBytes() {
    return total(numSlots, slotBytes, preSlabGuardBytes, postSlabGuardBytes);
  }

  /**
   * Where a slot starts, relative to the slab's start.
   *
   * @param slot the slot index
   * @return {@code preSlabGuardBytes + slot * slotBytes}
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, numSlots)}
   */
  public long slotOffset(int slot) {
    Objects.checkIndex(slot, numSlots);
    return preSlabGuardBytes + slot * slotBytes;
  }

  /**
   * The stripe a slot belongs to, which selects its protection key.
   *
   * @param slot the slot index
   * @return {@code slot % numStripes}
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, numSlots)}
   */
  public int stripeOf(int slot) {
    Objects.checkIndex(slot, numSlots);
    return slot % numStripes;
  }

  private static long total(int numSlots, long slotBytes, long pre, long post) {
    try {
      return Math.addExact(Math.addExact(pre, Math.multiplyExact(slotBytes, (long) numSlots)), post);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException(TOO_LARGE, e);
    }
  }

  private static long roundUp(long bytes, long page) {
    return Math.addExact(bytes, page - 1) & -page;
  }
}
