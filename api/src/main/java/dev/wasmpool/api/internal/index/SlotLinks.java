package dev.wasmpool.api.internal.index;

/**
 * Doubly linked lists of slot indices threaded through two fields of each slot's record in a
 * {@link SlotRecords} array, so that appending and removing any slot is O(1) and allocates
 * nothing. A slot is in at most one list of a given {@code SlotLinks} at a time; the allocator
 * uses one {@code SlotLinks} for the warm list and another for all per-affinity lists, over the
 * same records.
 *
 * <p>Not thread-safe: the owning allocator guards it with its lock.
 */
final class SlotLinks {

  /** The end of a list. */
  static final int NONE = -1;

  private final SlotRecords records;

  /** The record fields holding the previous and the next slot. */
  private final int prevField;

  private final int nextField;

  SlotLinks(SlotRecords records, int prevField, int nextField) {
    this.records = records;
    this.prevField = prevField;
    this.nextField = nextField;
    for (int slot = 0; slot < records.capacity(); slot++) {
      records.set(slot, prevField, NONE);
      records.set(slot, nextField, NONE);
    }
  }

  /** One list: its oldest element at the head, newest at the tail. */
  static final class SlotList {
    /** The oldest slot, or {@link #NONE} when empty. */
    int head = NONE;

    /** The newest slot, or {@link #NONE} when empty. */
    int tail = NONE;

    /** The number of slots in the list. */
    int size;

    boolean isEmpty() {
      return size == 0;
    }
  }

  /** Appends {@code slot}, which must be in no list of these links, at the tail of {@code list}. */
  void append(SlotList list, int slot) {
    records.set(slot, prevField, list.tail);
    records.set(slot, nextField, NONE);
    if (list.tail == NONE) {
      list.head = slot;
    } else {
      records.set(list.tail, nextField, slot);
    }
    list.tail = slot;
    list.size++;
  }

  /** Inserts {@code slot}, which must be in no list of these links, at the head of {@code list}. */
  void prepend(SlotList list, int slot) {
    records.set(slot, nextField, list.head);
    records.set(slot, prevField, NONE);
    if (list.head == NONE) {
      list.tail = slot;
    } else {
      records.set(list.head, prevField, slot);
    }
    list.head = slot;
    list.size++;
  }

  /** Removes {@code slot}, which must be in {@code list}. */
  void remove(SlotList list, int slot) {
    assert list.size > 0 : "remove from an empty list";
    int before = prev(slot);
    int after = next(slot);
    if (before == NONE) {
      assert list.head == slot : "slot " + slot + " is not the head of its list";
      list.head = after;
    } else {
      records.set(before, nextField, after);
    }
    if (after == NONE) {
      assert list.tail == slot : "slot " + slot + " is not the tail of its list";
      list.tail = before;
    } else {
      records.set(after, prevField, before);
    }
    records.set(slot, prevField, NONE);
    records.set(slot, nextField, NONE);
    list.size--;
  }

  /** The slot after {@code slot} in its list, or {@link #NONE}. */
  int next(int slot) {
    return (int) records.get(slot, nextField);
  }

  /** The slot before {@code slot} in its list, or {@link #NONE}. */
  int prev(int slot) {
    return (int) records.get(slot, prevField);
  }
}
