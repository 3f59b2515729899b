package dev.wasmpool.api.internal.table;

import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.index.IndexAllocator;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.internal.slots.SlotContents;
import dev.wasmpool.api.internal.slots.SlotPool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.Reservation;
import java.util.function.LongSupplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The pool of table slots: {@code totalTables} slots of {@code tableElements * 8} bytes, rounded
 * up to whole pages.
 *
 * <p>With virtual reservations all slots share one reservation; otherwise each slot is reserved on
 * first use. A slot is made accessible the first time it is handed out and stays accessible. Slots
 * are handed out by a {@link SlotPool} without affinity and with a warm budget of 0 (so a free
 * warm slot is always preferred to a cold one), always all zero: a closed table's used bytes are
 * reset (the {@code tableKeepResident} prefix written, the rest decommitted, inline or batched),
 * and a slot whose reset failed is zero-filled before it is handed out again.
 *
 * <p>Concurrency: thread-safe. The per-slot arrays are touched only by the owner of the slot's
 * index, ordered by the slot pool's lock.
 */
public final class TablePool implements AutoCloseable, SlotContents {

  /** Bytes per table element. */
  public static final long ELEMENT_BYTES = 8;

  private final Backend backend;
  private final SlotPool slots;
  private final long slotBytes;
  private final @Nullable Reservation shared;
  private final @Nullable Reservation[] own;
  private final boolean[] prepared;
  private final boolean[] needsZero;
  private final long[] usedBytes;
  private final long keepResidentBytes;

  /** Where each relocated slot lives now ({@link #relocate}); {@code null} for its own range. */
  private final @Nullable Reservation[] movedTo;

  private final long[] movedOffset;

  /** Free ranges for relocations; guarded by {@code this}. */
  private final java.util.ArrayDeque<Range> spares = new java.util.ArrayDeque<>();

  /** Reservations made for spares, closed with the pool; guarded by {@code this}. */
  private final java.util.List<Reservation> spareReservations = new java.util.ArrayList<>();

  // The slot pool keeps `this` as its SlotContents but calls it only once a slot is released,
  // long after construction: the escape is safe, so the initialization checker is told so.
  @SuppressWarnings({"assignment", "argument"})
  private TablePool(
      Backend backend,
      int total,
      long slotBytes,
      @Nullable Reservation shared,
      long keepResidentBytes,
      DecommitQueue queue,
      LongSupplier clock) {
    this.backend = backend;
    this.slotBytes = slotBytes;
    this.shared = shared;
    this.own = new Reservation[shared == null ? total : 0];
    this.prepared = new boolean[total];
    this.needsZero = new boolean[total];
    this.usedBytes = new long[total];
    this.keepResidentBytes = keepResidentBytes;
    this.movedTo = new Reservation[total];
    this.movedOffset = new long[total];
    this.slots = new SlotPool("tables", total, 0, queue, this, clock);
  }

  /**
   * Creates the pool and, with virtual reservations, its reservation.
   *
   * @param backend the engine's backend
   * @param config the pool configuration
   * @param queue the engine's decommit queue
   * @param clock stamps slot frees for idle trimming
   * @return the pool
   * @throws IllegalStateException if the backend refuses the reservation
   */
  public static TablePool create(
      Backend backend, PoolingAllocationConfig config, DecommitQueue queue, LongSupplier clock) {
    long page = backend.pageSize();
    long slotBytes = Math.max(page, MemoryPool.roundUp(config.tableElements() * ELEMENT_BYTES, page));
    int total = config.totalTables();
    long keep = MemoryPool.roundUp(config.tableKeepResident(), page);
    Reservation shared = null;
    if (backend.capabilities().virtualReservation() && total > 0) {
      try {
        shared = backend.reserve(slotBytes * total);
      } catch (BackendException e) {
        throw new IllegalStateException("failed to create table pool mapping: " + e.getMessage(), e);
      }
    }
    return new TablePool(backend, total, slotBytes, shared, keep, queue, clock);
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
      prepare(slot);
    } catch (RuntimeException e) {
      slots.abandon(slot, 0);
      throw e;
    }
    return slot;
  }

  private void prepare(int slot) {
    if (!prepared[slot]) {
      Reservation moved = movedTo[slot];
      if (moved != null) {
        moved.makeAccessible(movedOffset[slot], slotBytes);
      } else if (shared == null) {
        Reservation r = own[slot];
        if (r == null) {
          r = backend.reserve(slotBytes);
          own[slot] = r;
        }
        r.makeAccessible(0, slotBytes);
      } else {
        shared.makeAccessible(offset(slot), slotBytes);
      }
      prepared[slot] = true;
    }
    if (needsZero[slot]) {
      reservation(slot).segment().asSlice(offset(slot), usedBytes[slot]).fill((byte) 0);
      needsZero[slot] = false;
    }
  }

  /**
   * The reservation holding a slot.
   *
   * @param slot the slot index
   * @return the reservation
   */
  public Reservation reservation(int slot) {
    Reservation moved = movedTo[slot];
    Reservation r = moved != null ? moved : shared != null ? shared : own[slot];
    if (r == null) {
      throw new IllegalStateException("table slot " + slot + " was never prepared");
    }
    return r;
  }

  /**
   * A slot's offset in its reservation.
   *
   * @param slot the slot index
   * @return the offset in bytes
   */
  public long offset(int slot) {
    return movedTo[slot] != null ? movedOffset[slot] : shared != null ? slot * slotBytes : 0;
  }

  /** A table slot's range, once a slot's, now a spare for relocations. */
  private record Range(Reservation reservation, long offset) {}

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
        spareReservations.add(r);
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
    movedTo[slot] = fresh.reservation();
    movedOffset[slot] = fresh.offset();
    prepared[slot] = false; // made accessible, and zeroed, at the next acquire
    needsZero[slot] = true;
  }

  /**
   * Takes back a relocated orphan's old range once no view of it lives: zeroed, it waits as a
   * spare for the next relocation.
   *
   * @param reservation the old range's reservation
   * @param offset its offset
   */
  public synchronized void spare(Reservation reservation, long offset) {
    try {
      reservation.makeAccessible(offset, slotBytes);
      reservation.segment().asSlice(offset, slotBytes).fill((byte) 0);
      spares.add(new Range(reservation, offset));
    } catch (BackendException e) {
      // A range that cannot be restored is not reused; its reservation goes with the pool.
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
    long used = usedBytes[slot];
    long keep = Math.min(keepResidentBytes, used);
    try {
      if (deferred == null) {
        reservation(slot).reset(offset(slot), used, keep);
      } else {
        reservation(slot).reset(offset(slot), used, keep, deferred);
      }
      return keep;
    } catch (BackendException e) {
      needsZero[slot] = true;
      return 0;
    }
  }

  @Override
  public void decommitFailed(int slot) {
    needsZero[slot] = true;
  }

  @Override
  public void trim(int slot) {
    long used = usedBytes[slot];
    try {
      reservation(slot).reset(offset(slot), used, 0);
    } catch (BackendException e) {
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
    synchronized (this) {
      for (Reservation r : spareReservations) {
        r.close();
      }
    }
    if (shared != null) {
      shared.close();
    }
    for (Reservation r : own) {
      if (r != null) {
        r.close();
      }
    }
  }
}
