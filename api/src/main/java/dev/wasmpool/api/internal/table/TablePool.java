package dev.wasmpool.api.internal.table;

import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.index.IndexAllocator;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.internal.slots.HeldBytes;
import dev.wasmpool.api.internal.slots.SlotContents;
import dev.wasmpool.api.internal.slots.SlotPool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.Reservation;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The pool of table slots: {@code totalTables} slots of {@code tableElements * 8} bytes, rounded
 * up to whole pages.
 *
 * <p>Layout: slots live in slabs, each one reservation of whole slots without guards (a table is
 * bounds-checked by its segment). With virtual reservations one slab holds every slot; without,
 * each slot is a slab of its own, so that what its reservation holds is the slot's alone. That
 * number is the one place the backend's capabilities enter; every operation below is the same for
 * any backend. The first slab is reserved with the pool, the others when one of their slots is
 * first handed out.
 *
 * <p>A slot is made accessible when it is handed out and stays accessible until it is trimmed.
 * Slots are handed out by a {@link SlotPool} without affinity and with a warm budget of 0 (so a
 * free warm slot is always preferred to a cold one), always all zero: a closed table's used bytes
 * are reset (the {@code tableKeepResident} prefix written, the rest decommitted, inline or
 * batched), and a slot whose reset failed is zero-filled before it is handed out again. What a free
 * slot holds is counted by {@link HeldBytes}'s rule.
 *
 * <p>Concurrency: thread-safe. The per-slot arrays are touched only by the owner of the slot's
 * index, ordered by the slot pool's lock; slabs are reserved under {@code this}.
 */
public final class TablePool implements AutoCloseable, SlotContents {

  /** Bytes per table element. */
  public static final long ELEMENT_BYTES = 8;

  private final Backend backend;
  private final SlotPool slots;
  private final long slotBytes;
  private final int slotsPerSlab;

  /** Where each slot lives now; {@code null} until its slab is reserved. */
  private final @Nullable Range[] ranges;

  private final boolean[] prepared;
  private final boolean[] needsZero;
  private final long[] usedBytes;
  private final long keepResidentBytes;

  /** Every reservation of the pool (slabs and spares), closed with it; guarded by {@code this}. */
  private final List<Reservation> reservations = new ArrayList<>();

  /** Free ranges for relocations; guarded by {@code this}. */
  private final ArrayDeque<Range> spares = new ArrayDeque<>();

  /**
   * A slot's bytes: {@code slotBytes} from {@code offset} of {@code reservation}.
   *
   * @param reservation the reservation
   * @param offset the offset
   */
  private record Range(Reservation reservation, long offset) {}

  // The slot pool keeps `this` as its SlotContents but calls it only once a slot is released,
  // long after construction: the escape is safe, so the initialization checker is told so.
  @SuppressWarnings({"assignment", "argument"})
  private TablePool(
      Backend backend,
      int total,
      long slotBytes,
      int slotsPerSlab,
      long keepResidentBytes,
      DecommitQueue queue,
      LongSupplier clock) {
    this.backend = backend;
    this.slotBytes = slotBytes;
    this.slotsPerSlab = slotsPerSlab;
    this.ranges = new Range[total];
    this.prepared = new boolean[total];
    this.needsZero = new boolean[total];
    this.usedBytes = new long[total];
    this.keepResidentBytes = keepResidentBytes;
    this.slots = new SlotPool("tables", total, 0, queue, this, clock);
  }

  /**
   * Creates the pool and reserves its first slab.
   *
   * @param backend the engine's backend
   * @param config the pool configuration
   * @param queue the engine's decommit queue
   * @param clock stamps slot frees for idle trimming
   * @return the pool
   * @throws IllegalStateException if the backend refuses the first slab
   */
  public static TablePool create(
      Backend backend, PoolingAllocationConfig config, DecommitQueue queue, LongSupplier clock) {
    long page = backend.pageSize();
    long slotBytes = Math.max(page, MemoryPool.roundUp(config.tableElements() * ELEMENT_BYTES, page));
    int total = config.totalTables();
    long keep = MemoryPool.roundUp(config.tableKeepResident(), page);
    int perSlab = backend.capabilities().virtualReservation() ? Math.max(total, 1) : 1;
    TablePool pool = new TablePool(backend, total, slotBytes, perSlab, keep, queue, clock);
    if (total > 0) {
      try {
        pool.ensureSlab(0);
      } catch (BackendException e) {
        throw new IllegalStateException("failed to create table pool mapping: " + e.getMessage(), e);
      }
    }
    return pool;
  }

  /**
   * Reserves the slab of {@code slot} unless it is already.
   *
   * @throws BackendException if the backend refuses
   */
  private synchronized void ensureSlab(int slot) {
    if (ranges[slot] != null) {
      return;
    }
    int first = slot - slot % slotsPerSlab;
    int count = Math.min(slotsPerSlab, ranges.length - first);
    Reservation r = backend.reserve(slotBytes * count);
    reservations.add(r);
    for (int i = 0; i < count; i++) {
      ranges[first + i] = new Range(r, i * slotBytes);
    }
  }

  /**
   * Takes a table slot, all zero and accessible. When the pool is full, flushes the decommit queue
   * and tries again.
   *
   * @return the slot index
   * @throws PoolExhaustedException {@code "maximum concurrent limit of N for tables reached"}
   * @throws BackendException if preparing the slot fails (the slot is given back)
   */
  public int acquire() {
    int slot = slots.acquire(null);
    try {
      if (ranges[slot] == null) {
        ensureSlab(slot);
      }
      prepare(slot);
    } catch (RuntimeException e) {
      slots.abandon(slot, 0);
      throw e;
    }
    return slot;
  }

  private void prepare(int slot) {
    Range range = range(slot);
    if (!prepared[slot]) {
      range.reservation().makeAccessible(range.offset(), slotBytes);
      prepared[slot] = true;
    }
    if (needsZero[slot]) {
      range.reservation().segment().asSlice(range.offset(), usedBytes[slot]).fill((byte) 0);
      needsZero[slot] = false;
    }
  }

  private Range range(int slot) {
    Range range = ranges[slot];
    if (range == null) {
      throw new IllegalStateException("table slot " + slot + " has no reservation yet");
    }
    return range;
  }

  /**
   * The reservation holding a slot.
   *
   * @param slot the slot index
   * @return the reservation
   * @throws IllegalStateException if the slot's slab was never reserved
   */
  public Reservation reservation(int slot) {
    return range(slot).reservation();
  }

  /**
   * A slot's offset in its reservation.
   *
   * @param slot the slot index
   * @return the offset in bytes
   * @throws IllegalStateException if the slot's slab was never reserved
   */
  public long offset(int slot) {
    return range(slot).offset();
  }

  /**
   * Makes sure {@code n} spare ranges are ready for {@link #relocate}, reserving what is missing.
   *
   * @param n how many
   * @return {@code false} if the backend refused
   */
  public synchronized boolean ensureSpares(int n) {
    try {
      while (spares.size() < n) {
        Reservation r = backend.reserve(slotBytes);
        reservations.add(r);
        spares.add(new Range(r, 0));
      }
      return true;
    } catch (BackendException e) {
      return false;
    }
  }

  /**
   * Gives slot {@code slot} a spare range for its next tenants; the range it had stays with its
   * last tenant, an orphan, until {@link #spare} takes it back. Call {@link #ensureSpares} first.
   *
   * @param slot the slot index, held by the caller
   */
  public synchronized void relocate(int slot) {
    Range fresh = spares.poll();
    if (fresh == null) {
      throw new IllegalStateException("no spare range: call ensureSpares first");
    }
    ranges[slot] = fresh;
    prepared[slot] = false; // made accessible, and zeroed, at the next acquire
    needsZero[slot] = true;
  }

  /**
   * Takes back a relocated orphan's old range once no view of it lives: trimmed (inaccessible,
   * reset, nothing held), it waits as a spare for the next relocation.
   *
   * @param reservation the old range's reservation
   * @param offset its offset
   */
  public synchronized void spare(Reservation reservation, long offset) {
    Range range = new Range(reservation, offset);
    if (clear(range, slotBytes)) {
      spares.add(range);
    }
    // A range that cannot be cleared is not reused; its reservation goes with the pool.
  }

  /**
   * Makes a range inaccessible and resets its first {@code used} bytes, so that it holds nothing;
   * the next use makes it accessible again.
   *
   * @return {@code false} if the backend refused
   */
  private static boolean clear(Range range, long used) {
    try {
      range.reservation().makeInaccessible(range.offset(), used);
      range.reservation().reset(range.offset(), used, 0);
      return true;
    } catch (BackendException e) {
      return false;
    }
  }

  /**
   * The bytes of each slot.
   *
   * @return the slot size, page-aligned
   */
  public long slotBytes() {
    return slotBytes;
  }

  /**
   * Resets a slot a tenant is done with and frees it (once decommitted, when batched).
   *
   * @param slot the slot index
   * @param tableBytes the bytes the tenant could write ({@code 8 * maximumElements})
   */
  public void release(int slot, long tableBytes) {
    usedBytes[slot] = Math.min(slotBytes, MemoryPool.roundUp(tableBytes, backend.pageSize()));
    slots.release(slot);
  }

  /**
   * Gives back a slot that was handed out but never given to a tenant.
   *
   * @param slot the slot index
   */
  public void abandon(int slot) {
    slots.abandon(slot, 0);
  }

  @Override
  public long tenantBytes(int slot) {
    return usedBytes[slot];
  }

  @Override
  public long reset(int slot) {
    return resetSlot(slot, null);
  }

  @Override
  public long reset(int slot, DecommitBatch deferred) {
    return resetSlot(slot, deferred);
  }

  /** Resets a released slot; a failed reset leaves it to be zeroed by hand before its next use. */
  private long resetSlot(int slot, @Nullable DecommitBatch deferred) {
    Range range = range(slot);
    long used = usedBytes[slot];
    long keep = Math.min(keepResidentBytes, used);
    try {
      if (deferred == null) {
        range.reservation().reset(range.offset(), used, keep);
      } else {
        range.reservation().reset(range.offset(), used, keep, deferred);
      }
      return HeldBytes.of(range.reservation(), slotsPerSlab == 1, keep);
    } catch (BackendException e) {
      needsZero[slot] = true;
      return HeldBytes.of(range.reservation(), slotsPerSlab == 1, 0);
    }
  }

  @Override
  public void decommitFailed(int slot) {
    needsZero[slot] = true;
  }

  /** Clears the slot (inaccessible, reset): it holds nothing until its next tenant. */
  @Override
  public void trim(int slot) {
    prepared[slot] = false;
    if (!clear(range(slot), slotBytes)) {
      needsZero[slot] = true;
    }
  }

  @Override
  public long purge(int slot) {
    throw new AssertionError("table slots have no affinity to purge (slot " + slot + ")");
  }

  /**
   * The slot counts at one moment.
   *
   * @return live, pending, warm and cold slots, resident bytes and the takes by rule
   */
  public IndexAllocator.Counts counts() {
    return slots.counts();
  }

  /**
   * Trims the warm slots freed before {@code cutoff}; see {@link SlotPool#trimIdle}.
   *
   * @param cutoff a reading of the pool's clock
   * @return how many slots were trimmed
   */
  public int trimIdle(long cutoff) {
    return slots.trimIdle(cutoff);
  }

  /**
   * Slot resets done at once.
   *
   * @return the count
   */
  public long inlineResets() {
    return slots.inlineResets();
  }

  /**
   * Slot resets whose decommit went into a batch.
   *
   * @return the count
   */
  public long batchedResets() {
    return slots.batchedResets();
  }

  /**
   * How often a table slot could not be had.
   *
   * @return the count
   */
  public long exhaustions() {
    return slots.exhaustions();
  }

  /** Releases the reservations. Slots must be free. */
  @Override
  public void close() {
    List<Reservation> all;
    synchronized (this) {
      all = new ArrayList<>(reservations);
      reservations.clear();
    }
    RuntimeException failure = null;
    for (Reservation r : all) {
      try {
        r.close();
      } catch (RuntimeException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
