package dev.wasmpool.api.internal.table;

import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.index.IndexAllocator;
import dev.wasmpool.api.internal.index.ThreadSlotCache;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.Reservation;
import java.util.concurrent.atomic.LongAdder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The pool of table slots: {@code totalTables} slots of {@code tableElements * 8} bytes, rounded
 * up to whole pages.
 *
 * <p>With virtual reservations all slots share one reservation; otherwise each slot is reserved on
 * first use. A slot is made accessible the first time it is handed out and stays accessible. Slots
 * are handed out without affinity (an {@link IndexAllocator} with a warm budget of 0), always all
 * zero: a closed table's used bytes are reset (the {@code tableKeepResident} prefix written, the
 * rest decommitted), and a slot whose reset failed is zero-filled before it is handed out again.
 *
 * <p>Concurrency: thread-safe. The per-slot arrays are touched only by the owner of the slot's
 * index, ordered by the index allocator's lock.
 */
public final class TablePool implements AutoCloseable {

  /** Bytes per table element. */
  public static final long ELEMENT_BYTES = 8;

  private final Backend backend;
  private final IndexAllocator allocator;
  private final long slotBytes;
  private final @Nullable Reservation shared;
  private final @Nullable Reservation[] own;
  private final boolean[] prepared;
  private final boolean[] needsZero;
  private final long[] usedBytes;
  private final long keepResidentBytes;
  private final DecommitQueue queue;
  /** Slots handed out; for metrics only, so striped: two threads allocating never share a line. */
  private final LongAdder live = new LongAdder();

  /** Each thread's last released slot, kept for it; see {@link ThreadSlotCache}. */
  private final ThreadSlotCache<KeptTable> cache = new ThreadSlotCache<>();

  /** A table slot kept for a thread. */
  private record KeptTable(int slot, long residentBytes) implements ThreadSlotCache.Kept {}

  private TablePool(
      Backend backend,
      int total,
      long slotBytes,
      @Nullable Reservation shared,
      long keepResidentBytes,
      DecommitQueue queue) {
    this.backend = backend;
    this.allocator = new IndexAllocator(total, 0);
    this.slotBytes = slotBytes;
    this.shared = shared;
    this.own = new Reservation[shared == null ? total : 0];
    this.prepared = new boolean[total];
    this.needsZero = new boolean[total];
    this.usedBytes = new long[total];
    this.keepResidentBytes = keepResidentBytes;
    this.queue = queue;
  }

  /**
   * Creates the pool and, with virtual reservations, its reservation.
   *
   * @param backend the engine's backend
   * @param config the pool configuration
   * @param queue the engine's decommit queue
   * @return the pool
   * @throws IllegalStateException if the backend refuses the reservation
   */
  public static TablePool create(Backend backend, PoolingAllocationConfig config, DecommitQueue queue) {
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
    return new TablePool(backend, total, slotBytes, shared, keep, queue);
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
    int slot = takeKeptOrAlloc();
    try {
      prepare(slot);
    } catch (RuntimeException e) {
      allocator.free(slot, 0);
      throw e;
    }
    live.increment();
    return slot;
  }

  /** This thread's kept slot, or one from the allocator (flushing and draining when it is out). */
  private int takeKeptOrAlloc() {
    KeptTable kept = cache.take();
    if (kept != null) {
      return kept.slot(); // tables have no affinity: any kept slot serves
    }
    for (KeptTable left; (left = cache.pollEnded()) != null; ) {
      free(left);
    }
    int slot = allocator.alloc(null);
    while (slot < 0 && (queue.flush() || cache.drain(this::free))) {
      slot = allocator.alloc(null);
    }
    if (slot < 0) {
      throw new PoolExhaustedException("tables", allocator.capacity());
    }
    return slot;
  }

  private void free(KeptTable kept) {
    allocator.free(kept.slot(), kept.residentBytes());
  }

  private void prepare(int slot) {
    if (!prepared[slot]) {
      if (shared == null) {
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
    Reservation r = shared != null ? shared : own[slot];
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
    return shared != null ? slot * slotBytes : 0;
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
   * Resets a slot a tenant is done with, then keeps it for this thread ({@link ThreadSlotCache})
   * or frees it.
   *
   * @param slot the slot index
   * @param tableBytes the bytes the tenant could write ({@code 8 * maximumElements})
   */
  public void release(int slot, long tableBytes) {
    live.decrement();
    usedBytes[slot] = Math.min(slotBytes, MemoryPool.roundUp(tableBytes, backend.pageSize()));
    if (queue.immediate()) {
      long resident = reset(slot);
      if (!cache.put(new KeptTable(slot, resident))) {
        allocator.free(slot, resident);
      }
    } else {
      queue.submit(new TableReset(slot));
    }
  }

  /**
   * Gives back a slot that was handed out but never given to a tenant.
   *
   * @param slot the slot index
   */
  public void abandon(int slot) {
    live.decrement();
    allocator.free(slot, 0);
  }

  /**
   * Resets a released slot: a failed reset leaves it to be zeroed by hand before its next use.
   *
   * @return the bytes left resident
   */
  private long reset(int slot) {
    long used = usedBytes[slot];
    long keep = Math.min(keepResidentBytes, used);
    try {
      reservation(slot).reset(offset(slot), used, keep);
      return keep;
    } catch (BackendException e) {
      needsZero[slot] = true;
      return 0;
    }
  }

  /**
   * Tables handed out and not released.
   *
   * @return the count
   */
  public int liveTables() {
    return live.intValue();
  }

  /**
   * Free slots used before.
   *
   * @return the count
   */
  public int unusedWarmSlots() {
    return allocator.unusedWarmSlots() + cache.keptSlots();
  }

  /**
   * Bytes kept resident by free slots.
   *
   * @return the sum
   */
  public long unusedBytesResident() {
    return allocator.unusedBytesResident() + cache.keptBytes();
  }

  /** Releases the reservations. Slots must be free. */
  @Override
  public void close() {
    cache.drain(kept -> {}); // nothing to free: the reservations go
    if (shared != null) {
      shared.close();
    }
    for (Reservation r : own) {
      if (r != null) {
        r.close();
      }
    }
  }

  /** A table slot's reset waiting in the decommit queue. */
  private final class TableReset implements DecommitQueue.PendingReset {
    private final int slot;

    TableReset(int slot) {
      this.slot = slot;
    }

    @Override
    public int decommitRegions() {
      return usedBytes[slot] > keepResidentBytes ? 1 : 0;
    }

    @Override
    public void resetAndRelease() {
      allocator.free(slot, reset(slot));
    }
  }
}
