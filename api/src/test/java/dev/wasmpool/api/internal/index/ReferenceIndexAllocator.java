package dev.wasmpool.api.internal.index;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The slot selection rules written as plainly as possible, for model-based testing of {@link
 * IndexAllocator}: one list of warm slots, linear scans for everything else, no cold pointer.
 */
public final class ReferenceIndexAllocator {

  enum State {
    USED,
    COLD,
    WARM
  }

  private final int maxUnusedWarmSlots;
  private final State[] state;
  private final AffinityKey[] affinity;
  private final long[] bytes;

  /** Warm slots, least recently freed first. */
  private final List<Integer> warm = new ArrayList<>();

  /** A copy with the same state, for searches over orders of operations. */
  public ReferenceIndexAllocator copy() {
    ReferenceIndexAllocator c = new ReferenceIndexAllocator(state.length, maxUnusedWarmSlots);
    System.arraycopy(state, 0, c.state, 0, state.length);
    System.arraycopy(affinity, 0, c.affinity, 0, state.length);
    System.arraycopy(bytes, 0, c.bytes, 0, state.length);
    c.warm.addAll(warm);
    return c;
  }

  /** The whole state as a string: equal strings, equal futures. */
  public String stateKey() {
    return java.util.Arrays.toString(state) + java.util.Arrays.toString(affinity) + warm;
  }

  public ReferenceIndexAllocator(int capacity, int maxUnusedWarmSlots) {
    this.maxUnusedWarmSlots = maxUnusedWarmSlots;
    state = new State[capacity];
    java.util.Arrays.fill(state, State.COLD);
    affinity = new AffinityKey[capacity];
    bytes = new long[capacity];
  }

  public int alloc(AffinityKey key) {
    int slot = key == null ? -1 : newestWarmAffineTo(key);
    if (slot < 0) {
      if (warm.size() < maxUnusedWarmSlots) {
        slot = lowestCold();
        if (slot < 0) {
          slot = oldestWarm();
        }
      } else {
        slot = oldestWarm();
        if (slot < 0) {
          slot = lowestCold();
        }
      }
    }
    if (slot >= 0) {
      take(slot, key);
    }
    return slot;
  }

  int allocAffineAndClearAffinity(AffinityKey key) {
    int slot = newestWarmAffineTo(key);
    if (slot >= 0) {
      take(slot, null);
    }
    return slot;
  }

  /** Returns false (changing nothing) where the real allocator must throw. */
  public boolean free(int slot, long bytesResident) {
    if (state[slot] != State.USED) {
      return false;
    }
    state[slot] = State.WARM;
    bytes[slot] = bytesResident;
    warm.add(slot);
    return true;
  }

  State state(int slot) {
    return state[slot];
  }

  int liveSlots() {
    int n = 0;
    for (State s : state) {
      n += s == State.USED ? 1 : 0;
    }
    return n;
  }

  public int unusedWarmSlots() {
    return warm.size();
  }

  long unusedBytesResident() {
    long sum = 0;
    for (int slot : warm) {
      sum += bytes[slot];
    }
    return sum;
  }

  AffinityKey affinityOf(int slot) {
    return state[slot] == State.WARM ? affinity[slot] : null;
  }

  List<Integer> warmSlotsOldestFirst() {
    return List.copyOf(warm);
  }

  private int newestWarmAffineTo(AffinityKey key) {
    for (int i = warm.size() - 1; i >= 0; i--) {
      if (Objects.equals(affinity[warm.get(i)], key)) {
        return warm.get(i);
      }
    }
    return -1;
  }

  private int oldestWarm() {
    return warm.isEmpty() ? -1 : warm.get(0);
  }

  private int lowestCold() {
    for (int slot = 0; slot < state.length; slot++) {
      if (state[slot] == State.COLD) {
        return slot;
      }
    }
    return -1;
  }

  private void take(int slot, AffinityKey key) {
    warm.remove(Integer.valueOf(slot));
    state[slot] = State.USED;
    affinity[slot] = key;
    bytes[slot] = 0;
  }
}
