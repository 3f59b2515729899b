package dev.wasmpool.api.internal.index;

import dev.wasmpool.api.internal.index.SlotLinks.SlotList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Chooses pool slots with module affinity and a budget of unused warm slots.
 *
 * <p>Every slot is in exactly one state: <em>used</em> (handed out, remembering the {@link
 * AffinityKey} it was taken for, or none), <em>pending</em> (given back, its reset waiting in a
 * decommit batch: neither usable nor counted as warm), <em>unused cold</em> (never handed out) or
 * <em>unused warm</em> (freed, with its affinity and the bytes it still has resident). {@link
 * #alloc(AffinityKey)} picks, in order:
 *
 * <ol>
 *   <li>the most recently freed warm slot affine to the key;
 *   <li>if fewer than {@code maxUnusedWarmSlots} slots are warm: the lowest cold slot, else the
 *       least recently freed warm slot;
 *   <li>otherwise: the least recently freed warm slot of any affinity, else the lowest cold slot.
 * </ol>
 *
 * <p>Cold slots are handed out in ascending index order and a freed slot never becomes cold again,
 * so the set of slots ever touched is always a prefix {@code 0 .. n-1}. {@link
 * #allocAffineAndClearAffinity(AffinityKey)} serves module unloading: it hands out only slots
 * affine to the key, without affinity, so that the caller can remove the module's image from each
 * and {@link #free(int, long) free} it back (warm, no affinity, most recently used).
 *
 * <p>Every operation is O(1) (one hash lookup for the affinity list) but {@link #freeAll}, which is
 * O(n) for n slots. Thread-safe: one lock guards all state and is held only for the list updates,
 * never while the caller touches memory. This allocator is the only place that knows which slots
 * are free, for every thread: there is no per-thread cache in front of it, so the choice above is
 * made over the whole pool whatever thread asks.
 */
public final class IndexAllocator {

  /*
   * Concurrency:
   *   One lock (SlotLock) guards every field below it. Critical sections are a few array writes
   *   and at most one HashMap operation, so the lock spins instead of parking: a waiter is never
   *   more than one short critical section behind, and parking a waiter (then waking it, a system
   *   call each way) is what made two threads convoy on a monitor. The allocator is not sharded:
   *   sharding per thread would let a thread take its own shard's slot where the rules pick
   *   another thread's, which changes both the slot choice and how many slots stay warm.
   *
   * Layout:
   *   warm list (oldest at head):  head -> s4 <-> s0 <-> s7 <-> s2 <- tail
   *   affine list of key K:        head -> s0 <-> s2 <- tail        (subset of warm, same order)
   *   cold slots:                  nextCold .. capacity-1
   *   Both kinds of list are threaded through the slots' records (SlotLinks over SlotRecords), one
   *   pair of link fields per kind.
   *
   * Failure:
   *   Misuse (freeing a slot that is not used, an index out of range) throws before any state
   *   changes, so the allocator stays consistent.
   */

  private static final byte USED = 0;
  private static final byte COLD = 1;
  private static final byte WARM = 2;
  private static final byte PENDING = 3;

  /** How {@link #alloc} found a slot: {@link #takenBy(int)}. */
  public static final int TAKEN_AFFINE = 1;

  /** A warm slot of another affinity, or of none. */
  public static final int TAKEN_WARM = 2;

  /** A slot never used before. */
  public static final int TAKEN_COLD = 3;

  private final int capacity;
  private final int maxUnusedWarmSlots;

  private final SlotLock lock = new SlotLock();

  /**
   * Each slot's state (slots at or above {@link #nextCold} are {@link #COLD}), how it was taken,
   * whether it was trimmed, its resident bytes, its free time and its links. Guarded by lock.
   */
  private final SlotRecords records;

  /** The affinity of each used or warm slot; {@code null} for cold and affinity-less slots. */
  private final @Nullable AffinityKey[] affinity;

  /** Stamps frees for {@link #takeIdle}; a constant when the pool never trims. */
  private final LongSupplier clock;

  /** Links of the warm list. Guarded by lock. */
  private final SlotLinks warmLinks;

  /** Links of the per-affinity lists. Guarded by lock. */
  private final SlotLinks affineLinks;

  /** Unused warm slots, least recently freed at the head. Guarded by lock. */
  private final SlotList warm = new SlotList();

  /**
   * The warm slots of each affinity, least recently freed at the head. A list stays when it empties
   * (taking and freeing the same module's slot would otherwise remove and re-create it each time)
   * until {@link #allocAffineAndClearAffinity} finds it empty: the module's purge.
   */
  private final Map<AffinityKey, SlotList> affine = new HashMap<>();

  /** The lowest cold slot; equals {@link #capacity} when none is left. Guarded by lock. */
  private int nextCold;

  /** The number of used slots. Guarded by lock. */
  private int live;

  /** The number of pending slots. Guarded by lock. */
  private int pending;

  /** Allocations served by rule 1 (an affine warm slot), rule 2/3 warm, and cold. Guarded by lock. */
  private long affineTakes;

  private long otherWarmTakes;

  private long coldTakes;

  /** The sum of {@link #bytesResident} over warm slots. Guarded by lock. */
  private long unusedBytesResident;

  /**
   * An allocator with every slot cold.
   *
   * @param capacity the number of slots
   * @param maxUnusedWarmSlots the warm budget: how many unused warm slots may accumulate before
   *     warm slots of other affinities are preferred over cold ones
   * @throws IllegalArgumentException if either argument is negative
   */
  public IndexAllocator(int capacity, int maxUnusedWarmSlots) {
    this(capacity, maxUnusedWarmSlots, () -> 0L);
  }

  /**
   * An allocator with every slot cold whose frees are stamped by {@code clock}, for {@link
   * #takeIdle}.
   *
   * @param capacity the number of slots
   * @param maxUnusedWarmSlots the warm budget
   * @param clock nanoseconds, monotonic
   * @throws IllegalArgumentException if either count is negative
   */
  public IndexAllocator(int capacity, int maxUnusedWarmSlots, LongSupplier clock) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must not be negative (was " + capacity + ")");
    }
    if (maxUnusedWarmSlots < 0) {
      throw new IllegalArgumentException(
          "maxUnusedWarmSlots must not be negative (was " + maxUnusedWarmSlots + ")");
    }
    this.capacity = capacity;
    this.maxUnusedWarmSlots = maxUnusedWarmSlots;
    this.records = new SlotRecords(capacity);
    for (int slot = 0; slot < capacity; slot++) {
      records.setState(slot, COLD);
    }
    this.affinity = new @Nullable AffinityKey[capacity];
    this.clock = clock;
    this.warmLinks = new SlotLinks(records, SlotRecords.WARM_PREV, SlotRecords.WARM_NEXT);
    this.affineLinks = new SlotLinks(records, SlotRecords.AFFINE_PREV, SlotRecords.AFFINE_NEXT);
  }

  /**
   * The number of slots.
   *
   * @return the capacity given to the constructor
   */
  public int capacity() {
    return capacity;
  }

  /**
   * Takes a slot for an instance, preferring one affine to {@code affinity}; the slot becomes used
   * and remembers {@code affinity}.
   *
   * @param affinity the module memory the slot is for, or {@code null} for no affinity (no affine
   *     slot is sought and the slot returns warm without affinity)
   * @return slot index, or -1 when every slot is in use
   */
  public int alloc(@Nullable AffinityKey affinity) {
    lock.lock();
    try {
      int slot = affinity == null ? SlotLinks.NONE : pickAffine(affinity);
      byte how = TAKEN_AFFINE;
      if (slot != SlotLinks.NONE) {
        affineTakes++;
      } else if (warm.size < maxUnusedWarmSlots) {
        slot = pickCold();
        how = TAKEN_COLD;
        if (slot == SlotLinks.NONE) {
          slot = pickWarm();
          how = TAKEN_WARM;
        }
      } else {
        slot = pickWarm();
        how = TAKEN_WARM;
        if (slot == SlotLinks.NONE) {
          slot = pickCold();
          how = TAKEN_COLD;
        }
      }
      if (slot != SlotLinks.NONE) {
        markUsed(slot, affinity);
        records.setTakenBy(slot, how);
      }
      return slot;
    } finally {
      lock.unlock();
    }
  }

  /**
   * How a slot in use was found by {@link #alloc}: by affinity ({@link #TAKEN_AFFINE}), as another
   * module's warm slot ({@link #TAKEN_WARM}) or cold ({@link #TAKEN_COLD}). Only the slot's owner
   * may ask, between its alloc and its free (the lock ordered the write before).
   *
   * @param slot a slot the caller holds
   * @return one of the {@code TAKEN_} constants
   */
  public int takenBy(int slot) {
    return records.takenBy(slot);
  }

  /**
   * Takes an unused slot affine to {@code key}, the most recently freed first, and forgets its
   * affinity; used to purge a module's slots when the module is unloaded. The caller removes the
   * module's data from the slot and then {@link #free(int, long) frees} it, after which it is warm
   * with no affinity. Slots of {@code key} that are in use are not returned.
   *
   * @param key the module memory being purged
   * @return an unused slot affine to key, now Used without affinity; -1 if none
   */
  public int allocAffineAndClearAffinity(AffinityKey key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      int slot = pickAffine(key);
      if (slot != SlotLinks.NONE) {
        markUsed(slot, null);
      } else {
        affine.remove(key); // the module is gone: its list, empty now, goes too
      }
      return slot;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Returns a used slot: it becomes the most recently freed warm slot, affine to the key it was
   * allocated with (if any).
   *
   * @param slot the slot, which must be in use
   * @param bytesResident how many bytes of the slot's memory stay resident after its reset
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, capacity)}
   * @throws IllegalArgumentException if {@code bytesResident} is negative
   * @throws IllegalStateException if the slot is not in use (for example freed twice)
   */
  public void free(int slot, long bytesResident) {
    Objects.checkIndex(slot, capacity);
    checkBytes(bytesResident);
    lock.lock();
    try {
      if (records.state(slot) != USED) {
        throw new IllegalStateException(
            "slot " + slot + " is not in use (it is " + stateName(records.state(slot)) + ")");
      }
      live--;
      makeWarm(slot, bytesResident);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Marks a used slot pending: given back by its tenant, its reset waiting in a decommit batch. A
   * pending slot is not handed out until {@link #freeAll} returns it.
   *
   * @param slot the slot, which must be in use
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, capacity)}
   * @throws IllegalStateException if the slot is not in use
   */
  public void markPending(int slot) {
    Objects.checkIndex(slot, capacity);
    lock.lock();
    try {
      if (records.state(slot) != USED) {
        throw new IllegalStateException(
            "slot " + slot + " is not in use (it is " + stateName(records.state(slot)) + ")");
      }
      live--;
      pending++;
      records.setState(slot, PENDING);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Frees pending (or used) slots in one critical section, in the order given: the last becomes
   * the most recently freed. Used when a decommit batch has run.
   *
   * @param slots the slots; each must be pending or in use, and appear once
   * @param bytesResident the bytes each slot keeps resident, index for index
   * @param count how many leading entries of the arrays to free
   * @throws IllegalStateException if a slot is neither pending nor in use; nothing is freed then
   */
  public void freeAll(int[] slots, long[] bytesResident, int count) {
    Objects.checkFromIndexSize(0, count, Math.min(slots.length, bytesResident.length));
    for (int i = 0; i < count; i++) {
      Objects.checkIndex(slots[i], capacity);
      checkBytes(bytesResident[i]);
    }
    lock.lock();
    try {
      for (int i = 0; i < count; i++) {
        byte s = records.state(slots[i]);
        if (s != USED && s != PENDING) {
          throw new IllegalStateException(
              "slot " + slots[i] + " is not in use (it is " + stateName(s) + ")");
        }
      }
      for (int i = 0; i < count; i++) {
        int slot = slots[i];
        if (records.state(slot) == PENDING) {
          pending--;
        } else {
          live--;
        }
        makeWarm(slot, bytesResident[i]);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Links a slot into the warm list and its affinity list, with its resident bytes. */
  private void makeWarm(int slot, long bytes) {
    records.setState(slot, WARM);
    records.set(slot, SlotRecords.FREED_AT, clock.getAsLong());
    records.setTrimmed(slot, false);
    records.set(slot, SlotRecords.BYTES_RESIDENT, bytes);
    unusedBytesResident += bytes;
    warmLinks.append(warm, slot);
    AffinityKey key = affinity[slot];
    if (key != null) {
      SlotList list = affine.get(key);
      if (list == null) {
        list = new SlotList();
        affine.put(key, list);
      }
      affineLinks.append(list, slot);
    }
  }

  private static void checkBytes(long bytesResident) {
    if (bytesResident < 0) {
      throw new IllegalArgumentException(
          "bytesResident must not be negative (was " + bytesResident + ")");
    }
  }

  /**
   * Takes warm slots freed before {@code cutoff} and not trimmed since, oldest first, for idle
   * trimming: each becomes pending (neither free nor live) without affinity until {@link
   * #returnTrimmed} gives it back.
   *
   * @param cutoff a {@link #clock} reading; slots freed at or after it stay
   * @param out receives the slots
   * @return how many were taken, at most {@code out.length}
   */
  public int takeIdle(long cutoff, int[] out) {
    lock.lock();
    try {
      int n = 0;
      int s = warm.head;
      while (s != SlotLinks.NONE && n < out.length && records.get(s, SlotRecords.FREED_AT) < cutoff) {
        int next = warmLinks.next(s);
        if (!records.trimmed(s)) {
          unlinkWarm(s);
          records.setState(s, PENDING);
          affinity[s] = null;
          pending++;
          out[n++] = s;
        }
        s = next;
      }
      return n;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Gives back slots taken by {@link #takeIdle} once trimmed: they return warm, without affinity,
   * with nothing resident, at the least recently freed end of the warm list in the order given
   * (so they keep their place before every slot freed after them), and keep their free time.
   *
   * @param slots the trimmed slots
   * @param count how many entries are valid
   * @throws IllegalStateException if a slot is not pending
   */
  public void returnTrimmed(int[] slots, int count) {
    lock.lock();
    try {
      for (int i = count - 1; i >= 0; i--) {
        int slot = slots[i];
        if (records.state(slot) != PENDING) {
          throw new IllegalStateException(
              "slot " + slot + " is not being trimmed (it is " + stateName(records.state(slot)) + ")");
        }
        pending--;
        records.setState(slot, WARM);
        records.set(slot, SlotRecords.BYTES_RESIDENT, 0);
        records.setTrimmed(slot, true);
        warmLinks.prepend(warm, slot);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * A consistent view of the allocator: every count read in one critical section, so that {@code
   * live + pending + unusedWarm + cold == capacity} always holds.
   *
   * @param live used slots
   * @param pending slots whose reset waits in a decommit batch
   * @param unusedWarm free slots used before
   * @param cold slots never handed out
   * @param unusedBytesResident bytes the warm slots keep resident
   * @param affineTakes allocations served by a warm slot affine to the key (rule 1), ever
   * @param otherWarmTakes allocations served by a warm slot of another or no affinity, ever
   * @param coldTakes allocations served by a cold slot, ever
   */
  public record Counts(
      int live,
      int pending,
      int unusedWarm,
      int cold,
      long unusedBytesResident,
      long affineTakes,
      long otherWarmTakes,
      long coldTakes) {}

  /**
   * Reads every count at one moment.
   *
   * @return the counts
   */
  public Counts counts() {
    lock.lock();
    try {
      return new Counts(
          live,
          pending,
          warm.size,
          capacity - nextCold,
          unusedBytesResident,
          affineTakes,
          otherWarmTakes,
          coldTakes);
    } finally {
      lock.unlock();
    }
  }

  /**
   * The number of used slots.
   *
   * @return slots handed out and not yet freed
   */
  public int liveSlots() {
    return counts().live();
  }

  /**
   * The number of unused warm slots.
   *
   * @return slots freed and not taken again
   */
  public int unusedWarmSlots() {
    return counts().unusedWarm();
  }

  /**
   * The bytes the unused warm slots still have resident, as reported to {@link #free(int, long)}.
   *
   * @return the sum over unused warm slots
   */
  public long unusedBytesResident() {
    return counts().unusedBytesResident();
  }

  /**
   * The affinity of an unused warm slot.
   *
   * @param slot the slot
   * @return the key the slot is affine to if it is unused and warm; {@code null} if it is used,
   *     cold, or warm without affinity
   * @throws IndexOutOfBoundsException if {@code slot} is not in {@code [0, capacity)}
   */
  public @Nullable AffinityKey affinityOf(int slot) {
    Objects.checkIndex(slot, capacity);
    lock.lock();
    try {
      return records.state(slot) == WARM ? affinity[slot] : null;
    } finally {
      lock.unlock();
    }
  }

  /** Takes the most recently freed warm slot affine to {@code key}, or returns NONE. */
  private int pickAffine(AffinityKey key) {
    SlotList list = affine.get(key);
    if (list == null || list.isEmpty()) {
      return SlotLinks.NONE;
    }
    int slot = list.tail;
    unlinkWarm(slot);
    return slot;
  }

  /** Takes the least recently freed warm slot, or returns NONE. */
  private int pickWarm() {
    int slot = warm.head;
    if (slot != SlotLinks.NONE) {
      unlinkWarm(slot);
      otherWarmTakes++;
    }
    return slot;
  }

  /** Takes the lowest cold slot, or returns NONE. */
  private int pickCold() {
    if (nextCold == capacity) {
      return SlotLinks.NONE;
    }
    assert records.state(nextCold) == COLD : "slot " + nextCold + " below the cold bump pointer";
    coldTakes++;
    return nextCold++;
  }

  /** Removes a warm slot from the warm list and its affinity list and forgets its bytes. */
  private void unlinkWarm(int slot) {
    assert records.state(slot) == WARM : "slot " + slot + " is " + stateName(records.state(slot)) + ", not warm";
    warmLinks.remove(warm, slot);
    AffinityKey key = affinity[slot];
    if (key != null) {
      SlotList list = affine.get(key);
      if (list == null) {
        throw new AssertionError("warm slot " + slot + " missing from the list of " + key);
      }
      affineLinks.remove(list, slot); // an empty list stays until the purge: no churn per take
    }
    unusedBytesResident -= records.get(slot, SlotRecords.BYTES_RESIDENT);
    records.set(slot, SlotRecords.BYTES_RESIDENT, 0);
  }

  private void markUsed(int slot, @Nullable AffinityKey key) {
    records.setState(slot, USED);
    if (affinity[slot] != key) {
      affinity[slot] = key; // an affine take leaves the line clean
    }
    live++;
  }

  private static String stateName(byte state) {
    return switch (state) {
      case USED -> "used";
      case COLD -> "unused cold";
      case PENDING -> "pending reset";
      default -> "unused warm";
    };
  }

  /**
   * How many affinities have a list, empty or not (for tests: lists must not outlive the purge).
   *
   * @return the number of per-affinity lists kept
   */
  int affinityLists() {
    lock.lock();
    try {
      return affine.size();
    } finally {
      lock.unlock();
    }
  }

  /**
   * The unused warm slots, least recently freed first (for tests).
   *
   * @return a snapshot of the warm list
   */
  List<Integer> warmSlotsOldestFirst() {
    lock.lock();
    try {
      List<Integer> slots = new ArrayList<>(warm.size);
      for (int s = warm.head; s != SlotLinks.NONE; s = warmLinks.next(s)) {
        slots.add(s);
      }
      return slots;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Checks every invariant of the allocator's state (for tests): each slot is in exactly one
   * state, the lists hold exactly the warm slots in a consistent order, counts add up to the
   * capacity and resident bytes sum to {@link #unusedBytesResident()}.
   *
   * @throws AssertionError describing the first violated invariant
   */
  void checkInvariants() {
    lock.lock();
    try {
      int used = 0;
      int pendingCount = 0;
      int warmCount = 0;
      int cold = 0;
      int affineWarm = 0;
      long bytes = 0;
      for (int s = 0; s < capacity; s++) {
        switch (records.state(s)) {
          case USED -> used++;
          case PENDING -> pendingCount++;
          case WARM -> {
            warmCount++;
            bytes += records.get(s, SlotRecords.BYTES_RESIDENT);
            if (affinity[s] != null) {
              affineWarm++;
            }
          }
          case COLD -> {
            cold++;
            require(affinity[s] == null, "cold slot " + s + " has an affinity");
          }
          default -> throw new AssertionError("slot " + s + " has state " + records.state(s));
        }
        require((s >= nextCold) == (records.state(s) == COLD), "slot " + s + " vs cold pointer " + nextCold);
        require(records.state(s) == WARM || records.get(s, SlotRecords.BYTES_RESIDENT) == 0, "non-warm slot " + s + " has bytes");
      }
      require(used == live, "used " + used + " != live " + live);
      require(pendingCount == pending, "pending " + pendingCount + " != " + pending);
      require(warmCount == warm.size, "warm " + warmCount + " != list size " + warm.size);
      require(cold == capacity - nextCold, "cold " + cold + " != " + (capacity - nextCold));
      require(used + pendingCount + warmCount + cold == capacity, "states do not add up to " + capacity);
      require(bytes == unusedBytesResident, "bytes " + bytes + " != " + unusedBytesResident);

      int[] position = new int[capacity];
      checkList(warm, warmLinks, position, "warm list");
      int listed = 0;
      for (Map.Entry<AffinityKey, SlotList> entry : affine.entrySet()) {
        SlotList list = entry.getValue();
        int last = -1;
        for (int s = list.head; s != SlotLinks.NONE; s = affineLinks.next(s)) {
          require(records.state(s) == WARM, "slot " + s + " in the list of " + entry.getKey() + " not warm");
          require(Objects.equals(entry.getKey(), affinity[s]), "slot " + s + " in the wrong affine list");
          require(position[s] > last, "affine list of " + entry.getKey() + " out of warm order");
          last = position[s];
        }
        checkList(list, affineLinks, new int[capacity], "affine list of " + entry.getKey());
        listed += list.size;
      }
      require(listed == affineWarm, "affine lists hold " + listed + " != " + affineWarm);
    } finally {
      lock.unlock();
    }
  }

  /** Walks a list both ways, checking links, size and membership; records each slot's position. */
  private void checkList(SlotList list, SlotLinks links, int[] position, String name) {
    int count = 0;
    int previous = SlotLinks.NONE;
    for (int s = list.head; s != SlotLinks.NONE; s = links.next(s)) {
      require(count < list.size, name + " is longer than its size " + list.size);
      require(records.state(s) == WARM, name + " holds slot " + s + " which is not warm");
      require(links.prev(s) == previous, name + " has a broken back link at " + s);
      position[s] = count++;
      previous = s;
    }
    require(count == list.size, name + " has " + count + " slots, size says " + list.size);
    require(list.tail == previous, name + " tail " + list.tail + " != last " + previous);
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
