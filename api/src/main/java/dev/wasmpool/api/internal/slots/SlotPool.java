package dev.wasmpool.api.internal.slots;

import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.events.PoolEvents;
import dev.wasmpool.api.internal.events.ResetMethod;
import dev.wasmpool.api.internal.index.AffinityKey;
import dev.wasmpool.api.internal.index.IndexAllocator;
import dev.wasmpool.spi.DecommitBatch;
import java.util.concurrent.atomic.LongAdder;
import jdk.jfr.Event;
import java.util.function.LongSupplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The lifecycle of one pool's slots, the same for memories and tables: which slot a tenant gets
 * ({@link IndexAllocator}, the seed's rules over the whole pool), how a released slot is reset
 * and freed (inline, or pending in the {@link DecommitQueue} until its batch is decommitted), the
 * exhaustion retry, and the purge of a closed module's affine slots.
 *
 * <p>The index allocator is the only record of which slots are free; this class keeps no other.
 * There is no per-thread cache: every {@link #acquire} on any thread sees every free slot, so the
 * slot the rules pick and the number of warm slots do not depend on which thread asks.
 *
 * <p>Slot states, as the allocator keeps them: cold → used ({@link #acquire}) → pending (batched
 * reset queued) → warm ({@link #release} inline, or the batch's flush) → used again, or purged
 * (affinity cleared, image removed) → warm.
 *
 * <p>Concurrency: thread-safe. A slot's contents are touched only by its owner: the tenant
 * between acquire and release, then this pool or the queue until the slot is free; the
 * allocator's lock orders one owner's writes before the next one's reads.
 */
public final class SlotPool implements DecommitQueue.Owner {

  private final String kind;
  private final IndexAllocator allocator;
  private final DecommitQueue queue;
  private final SlotContents contents;

  /** {@code "memory"} or {@code "table"}, for the reset events. */
  private final String eventPool;

  /** {@link PoolExhaustedException}s thrown; striped, as threads that fail at once all count. */
  private final LongAdder exhaustions = new LongAdder();

  /** Releases reset at once, and releases whose decommit went into a batch. */
  private final LongAdder inlineResets = new LongAdder();

  private final LongAdder batchedResets = new LongAdder();

  /**
   * A pool with every slot cold.
   *
   * @param kind what {@code PoolExhaustedException} names ({@code "memories"}, {@code "tables"},
   *     {@code "memory stripe 1"})
   * @param capacity the number of slots
   * @param maxUnusedWarmSlots the warm budget of the seed's rules
   * @param queue the engine's decommit queue
   * @param contents resets and purges the slots
   */
  public SlotPool(
      String kind, int capacity, int maxUnusedWarmSlots, DecommitQueue queue, SlotContents contents) {
    this(kind, capacity, maxUnusedWarmSlots, queue, contents, () -> 0L);
  }

  /**
   * A pool with every slot cold whose frees are stamped by {@code clock}, for {@link #trimIdle}.
   *
   * @param kind what {@code PoolExhaustedException} names
   * @param capacity the number of slots
   * @param maxUnusedWarmSlots the warm budget of the seed's rules
   * @param queue the engine's decommit queue
   * @param contents resets, trims and purges the slots
   * @param clock nanoseconds, monotonic
   */
  public SlotPool(
      String kind,
      int capacity,
      int maxUnusedWarmSlots,
      DecommitQueue queue,
      SlotContents contents,
      LongSupplier clock) {
    this.kind = kind;
    this.eventPool = kind.startsWith("memory") ? "memory" : "table";
    this.allocator = new IndexAllocator(capacity, maxUnusedWarmSlots, clock);
    this.queue = queue;
    this.contents = contents;
  }

  /**
   * Takes a slot by the seed's rules; when none is free, flushes the decommit queue and tries
   * again.
   *
   * @param key the affinity to prefer and remember, or {@code null} for none
   * @return the slot index
   * @throws PoolExhaustedException {@code "maximum concurrent limit of N for KIND reached"} if no
   *     slot is free, pending ones included
   */
  public int acquire(@Nullable AffinityKey key) {
    int slot = allocator.alloc(key);
    while (slot < 0 && queue.flush()) {
      slot = allocator.alloc(key);
    }
    if (slot < 0) {
      exhaustions.increment();
      throw new PoolExhaustedException(kind, allocator.capacity());
    }
    return slot;
  }

  /**
   * How a slot just acquired was found; see {@link IndexAllocator#takenBy(int)}.
   *
   * @param slot a slot the caller holds
   * @return one of {@link IndexAllocator}'s {@code TAKEN_} constants
   */
  public int takenBy(int slot) {
    return allocator.takenBy(slot);
  }

  /**
   * Resets a slot its tenant is done with and frees it: at once without batching (or when
   * nothing is left to decommit), otherwise once its batch is decommitted.
   *
   * @param slot a slot from {@link #acquire}
   */
  public void release(int slot) {
    Event event = PoolEvents.slotResetStarted();
    long bytes = contents.tenantBytes(slot);
    if (queue.immediate()) {
      inlineResets.increment();
      long resident = contents.reset(slot);
      resetEvent(event, slot, bytes, resident);
      allocator.free(slot, resident);
      return;
    }
    DecommitBatch ranges = new DecommitBatch();
    long resident = contents.reset(slot, ranges);
    resetEvent(event, slot, bytes, resident);
    if (ranges.isEmpty()) {
      inlineResets.increment();
      allocator.free(slot, resident);
      return;
    }
    batchedResets.increment();
    allocator.markPending(slot);
    queue.submit(this, slot, resident, ranges);
  }

  private void resetEvent(Event event, int slot, long bytes, long resident) {
    ResetMethod method =
        resident >= bytes ? ResetMethod.FILL : resident > 0 ? ResetMethod.FILL_AND_DECOMMIT : ResetMethod.DECOMMIT;
    PoolEvents.slotReset(event, eventPool, slot, method, bytes, resident);
  }

  /**
   * Frees a slot without a reset (its instantiation failed before a tenant wrote to it).
   *
   * @param slot a slot from {@link #acquire}
   * @param residentBytes what it keeps resident
   */
  public void abandon(int slot, long residentBytes) {
    allocator.free(slot, residentBytes);
  }

  /**
   * Clears the affinity of every free slot affine to {@code key} and lets {@link
   * SlotContents#purge} remove what ties it to the closed module. The caller flushes the decommit
   * queue first, so that pending slots are purged too.
   *
   * @param key the closed module's memory
   */
  public void purge(AffinityKey key) {
    int slot;
    while ((slot = allocator.allocAffineAndClearAffinity(key)) >= 0) {
      allocator.free(slot, contents.purge(slot));
    }
  }

  /**
   * Trims every warm slot freed before {@code cutoff} (and not trimmed since): its image is
   * removed and everything it keeps resident is decommitted, so idle slots stop holding memory.
   * Trimmed slots stay warm, without affinity, at the least recently used end of the free list;
   * while one is being trimmed it is neither free nor live.
   *
   * @param cutoff a reading of this pool's clock
   * @return how many slots were trimmed
   */
  public int trimIdle(long cutoff) {
    int[] batch = new int[64];
    int total = 0;
    int n;
    while ((n = allocator.takeIdle(cutoff, batch)) > 0) {
      for (int i = 0; i < n; i++) {
        contents.trim(batch[i]);
      }
      allocator.returnTrimmed(batch, n);
      total += n;
    }
    return total;
  }

  @Override
  public void decommitFailed(int slot) {
    contents.decommitFailed(slot);
  }

  @Override
  public void freeDecommitted(int[] slots, long[] residentBytes, int count) {
    allocator.freeAll(slots, residentBytes, count);
  }

  /**
   * The allocator's counts at one moment.
   *
   * @return live, pending, warm and cold slots, resident bytes and the takes by rule
   */
  public IndexAllocator.Counts counts() {
    return allocator.counts();
  }

  /**
   * How often {@link #acquire} found no slot.
   *
   * @return exhaustions since the pool was made
   */
  public long exhaustions() {
    return exhaustions.sum();
  }

  /**
   * Releases reset at once (no batching, or nothing left to decommit).
   *
   * @return the count
   */
  public long inlineResets() {
    return inlineResets.sum();
  }

  /**
   * Releases whose decommit went into a batch.
   *
   * @return the count
   */
  public long batchedResets() {
    return batchedResets.sum();
  }

  /**
   * The number of slots.
   *
   * @return the capacity
   */
  public int capacity() {
    return allocator.capacity();
  }

  /**
   * The affinity of an unused warm slot (for tests and diagnostics).
   *
   * @param slot the slot
   * @return its key, or {@code null}
   */
  public @Nullable AffinityKey affinityOf(int slot) {
    return allocator.affinityOf(slot);
  }
}
