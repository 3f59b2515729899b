package dev.wasmpool.api.internal.index;

import java.util.Arrays;

/**
 * Doubly linked lists of slot indices threaded through one pair of link arrays, so that appending
 * and removing any slot is O(1) and allocates nothing. A slot is in at most one list of a given
 * {@code SlotLinks} at a time; the allocator uses one {@code SlotLinks} for the warm list and
 * another for all per-affinity lists.
 *
 * <p>Not thread-safe: the owning allocator guards it with its lock.
 */
final class SlotLinks {

  /** The end of a list. */
  static final int NONE = -1;

  /** The previous slot in the slot's list, or {@link #NONE}; undefined for unlinked slots. */
  private final int[] prev;

  /** The next slot in the slot's list, or {@link #NONE}; undefined for unlinked slots. */
  private final int[] next;

  SlotLinks(int capacity) {
    prev = new int[capacity];
    next = new int[capacity];
    Arrays.fill(prev, NONE);
    Arrays.fill(next, NONE);
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
    prev[slot] = list.tail;
    next[slot] = NONE;
    if (list.tail == NONE) {
      list.head = slot;
    } else {
      next[list.tail] = slot;
    }
    list.tail = slot;
    list.size++;
  }

  /** Removes {@code slot}, which must be in {@code list}. */
  /** Inserts {@code slot} at the head of {@code list}. */
  void prepend(SlotList list, int slot) {
    next[slot] = list.head;
    prev[slot] = NONE;
    if (list.head == NONE) {
      list.tail = slot;
    } else {
      prev[list.head] = slot;
    }
    list.head = slot;
    list.size++;
  }

  void remove(SlotList list, int slot) {
    assert list.size > 0 : "remove from an empty list";
    int before = prev[slot];
    int after = next[slot];
    if (before == NONE) {
      assert list.head == slot : "slot " + slot + " is not the head of its list";
      list.head = after;
    } else {
      next[before] = after;
    }
    if (after == NONE) {
      assert list.tail == slot : "slot " + slot + " is not the tail of its list";
      list.tail = before;
    } else {
      prev[after] = before;
    }
    prev[slot] = NONE;
    next[slot] = NONE;
    list.size--;
  }

  /** The slot after {@code slot} in its list, or {@link #NONE}. */
  int next(int slot) {
    return next[slot];
  }

  /** The slot before {@code slot} in its list, or {@link #NONE}. */
  int prev(int slot) {
    return prev[slot];
  }
}
