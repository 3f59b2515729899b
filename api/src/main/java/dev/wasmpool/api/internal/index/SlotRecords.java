package dev.wasmpool.api.internal.index;

/**
 * Everything an {@link IndexAllocator} keeps per slot but its affinity, one record of {@link
 * #FIELDS} longs per slot in one array.
 *
 * <p>Why one array: the allocator's critical sections each touch one slot and its list neighbours.
 * With a separate array per field (state, resident bytes, free time, four links and so on), one
 * allocation or free wrote about ten cache lines; with two threads taking turns at the lock, each
 * of them then moved from the other core. A record is 64 bytes, so a slot's fields share one line
 * or two.
 *
 * <p>Not thread-safe: the owning allocator guards it with its lock.
 */
final class SlotRecords {

  /** The state, how the slot was taken and whether it was trimmed, packed: see the accessors. */
  private static final int FLAGS = 0;

  /** The bytes the warm slot keeps resident; 0 for other slots. */
  static final int BYTES_RESIDENT = 1;

  /** When the warm slot was freed, by the allocator's clock. */
  static final int FREED_AT = 2;

  /** Links of the warm list. */
  static final int WARM_PREV = 3;

  static final int WARM_NEXT = 4;

  /** Links of the slot's affinity list. */
  static final int AFFINE_PREV = 5;

  static final int AFFINE_NEXT = 6;

  /** Longs per record (a power of two): 64 bytes. */
  static final int FIELDS = 8;

  private static final long STATE_MASK = 0xFF;

  private static final int TAKEN_BY_SHIFT = 8;

  private static final long TRIMMED_BIT = 1L << 16;

  private static final int SHIFT = Integer.numberOfTrailingZeros(FIELDS);

  private final long[] fields;

  private final int capacity;

  SlotRecords(int capacity) {
    this.capacity = capacity;
    this.fields = new long[Math.multiplyExact(capacity, FIELDS)];
  }

  int capacity() {
    return capacity;
  }

  long get(int slot, int field) {
    return fields[(slot << SHIFT) + field];
  }

  void set(int slot, int field, long value) {
    fields[(slot << SHIFT) + field] = value;
  }

  /** The slot's state: one of the allocator's state constants. */
  byte state(int slot) {
    return (byte) (get(slot, FLAGS) & STATE_MASK);
  }

  void setState(int slot, byte state) {
    set(slot, FLAGS, (get(slot, FLAGS) & ~STATE_MASK) | (state & STATE_MASK));
  }

  /** How the used slot was found: a {@code TAKEN_} constant of the allocator. */
  byte takenBy(int slot) {
    return (byte) (get(slot, FLAGS) >>> TAKEN_BY_SHIFT);
  }

  void setTakenBy(int slot, byte how) {
    long flags = get(slot, FLAGS);
    set(slot, FLAGS, (flags & (STATE_MASK | TRIMMED_BIT)) | ((long) (how & 0xFF) << TAKEN_BY_SHIFT));
  }

  /** Whether the warm slot was trimmed since it was freed. */
  boolean trimmed(int slot) {
    return (get(slot, FLAGS) & TRIMMED_BIT) != 0;
  }

  void setTrimmed(int slot, boolean trimmed) {
    long flags = get(slot, FLAGS);
    set(slot, FLAGS, trimmed ? flags | TRIMMED_BIT : flags & ~TRIMMED_BIT);
  }
}
