package dev.wasmpool.api.internal.decommit;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Gathers the decommits of closed instances' slots and hands them to the backend in batches of
 * {@code decommitBatchSize} ranges, with one {@link Backend#decommit(DecommitBatch)} call per
 * batch (on Linux one {@code process_madvise(2)} system call where the kernel accepts it).
 *
 * <p>A slot enters the queue after its reset has done everything but the decommit (its
 * keep-resident prefix is restored; the ranges beyond it are in the queue's batch) and is pending
 * in its pool's index allocator: no tenant can get it. Once the queued ranges reach the batch
 * size the whole queue is flushed: one decommit for every range, then every slot of the batch goes
 * back to its pool's free lists, one critical section per pool. Pools also flush the queue before
 * they report exhaustion, and the engine flushes it when a module is purged and when it closes.
 *
 * <p>Failure: if the backend refuses the batch, what was decommitted is unknown, so every slot of
 * the batch is marked for erasure before its next tenant, and still freed.
 *
 * <p>Concurrency: submitting takes a short lock; flushes are serialised by a second lock and run
 * the decommit outside the first, so a thread that finds its pool empty and flushes waits for a
 * flush in progress and then finds the slots it freed.
 */
public final class DecommitQueue {

  /** A pool whose slots wait in the queue. */
  public interface Owner {

    /**
     * The batch holding these slots' ranges could not be decommitted: their contents are unknown.
     *
     * @param slot a slot of this owner in the failed batch
     */
    void decommitFailed(int slot);

    /**
     * The batch has been decommitted: frees the slots, in the order given, in one go.
     *
     * @param slots the owner's slots of the batch
     * @param residentBytes what each keeps resident, index for index
     * @param count how many entries are valid
     */
    void freeDecommitted(int[] slots, long[] residentBytes, int count);
  }

  private static final System.Logger LOG = System.getLogger(DecommitQueue.class.getName());

  private final Backend backend;
  private final int batchSize;

  private final Object queueLock = new Object();

  /** Queued ranges, guarded by {@code queueLock}. */
  private DecommitBatch ranges = new DecommitBatch();

  /** Queued slots with their owners and resident bytes, guarded by {@code queueLock}. */
  private ArrayList<Pending> pending = new ArrayList<>();

  private final ReentrantLock flushLock = new ReentrantLock();

  /** Batches handed to the backend; read by metrics without waiting for a flush. */
  private final java.util.concurrent.atomic.AtomicLong batches = new java.util.concurrent.atomic.AtomicLong();

  private record Pending(Owner owner, int slot, long residentBytes) {}

  /**
   * A queue.
   *
   * @param backend decommits the batches
   * @param batchSize the number of ranges per batch; 0 and 1 disable batching
   * @throws IllegalArgumentException if {@code batchSize} is negative
   */
  public DecommitQueue(Backend backend, int batchSize) {
    if (batchSize < 0) {
      throw new IllegalArgumentException("decommitBatchSize must not be negative (was " + batchSize + ")");
    }
    this.backend = backend;
    this.batchSize = batchSize;
  }

  /**
   * Whether every reset runs at once (batch size 0 or 1): pools then reset inline and skip the
   * queue entirely.
   *
   * @return {@code true} without batching
   */
  public boolean immediate() {
    return batchSize <= 1;
  }

  /**
   * Queues a slot whose reset left {@code slotRanges} to decommit; flushes the queue when it
   * reaches the batch size. The slot must be pending in its owner's allocator.
   *
   * @param owner the slot's pool
   * @param slot the slot
   * @param residentBytes what the slot keeps resident once decommitted
   * @param slotRanges the slot's ranges, not empty; emptied by this call
   */
  public void submit(Owner owner, int slot, long residentBytes, DecommitBatch slotRanges) {
    boolean full;
    synchronized (queueLock) {
      pending.add(new Pending(owner, slot, residentBytes));
      ranges.takeAll(slotRanges);
      full = ranges.size() >= batchSize;
    }
    if (full) {
      flush();
    }
  }

  /**
   * Decommits every queued range and returns the slots to their pools. Waits for a flush in
   * progress.
   *
   * @return {@code true} if this call or one it waited for released any slot
   */
  public boolean flush() {
    boolean waited = !flushLock.tryLock();
    if (waited) {
      flushLock.lock();
    }
    try {
      DecommitBatch batch;
      List<Pending> slots;
      synchronized (queueLock) {
        if (pending.isEmpty()) {
          return waited;
        }
        batch = ranges;
        slots = pending;
        ranges = new DecommitBatch();
        pending = new ArrayList<>();
      }
      try {
        backend.decommit(batch);
      } catch (BackendException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "decommitting a batch of " + batch.size() + " ranges failed; its " + slots.size()
                + " slots will be erased before reuse",
            e);
        for (Pending p : slots) {
          p.owner().decommitFailed(p.slot());
        }
      }
      batches.incrementAndGet();
      freeByOwner(slots);
      return true;
    } finally {
      flushLock.unlock();
    }
  }

  /** Hands each owner its slots of the batch, in queue order, in one call per owner. */
  private static void freeByOwner(List<Pending> slots) {
    Map<Owner, List<Pending>> byOwner = new IdentityHashMap<>();
    for (Pending p : slots) {
      byOwner.computeIfAbsent(p.owner(), o -> new ArrayList<>()).add(p);
    }
    for (Map.Entry<Owner, List<Pending>> entry : byOwner.entrySet()) {
      List<Pending> list = entry.getValue();
      int[] indexes = new int[list.size()];
      long[] resident = new long[list.size()];
      for (int i = 0; i < indexes.length; i++) {
        indexes[i] = list.get(i).slot();
        resident[i] = list.get(i).residentBytes();
      }
      entry.getKey().freeDecommitted(indexes, resident, indexes.length);
    }
  }

  /**
   * The queued slots.
   *
   * @return how many wait for a flush
   */
  public int pendingResets() {
    synchronized (queueLock) {
      return pending.size();
    }
  }

  /**
   * The queued ranges.
   *
   * @return how many ranges wait for a flush
   */
  public int pendingRegions() {
    synchronized (queueLock) {
      return ranges.size();
    }
  }

  /**
   * Batches handed to the backend so far.
   *
   * @return the count
   */
  public long batches() {
    return batches.get();
  }

  /**
   * The configured batch size.
   *
   * @return ranges per batch
   */
  public int batchSize() {
    return batchSize;
  }
}
