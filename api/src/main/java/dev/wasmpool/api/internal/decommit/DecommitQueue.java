package dev.wasmpool.api.internal.decommit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Gathers slot resets of closed instances and runs them in batches ({@code decommitBatchSize}).
 *
 * <p>A reset is queued with the number of ranges it hands back to the system; once the queued
 * ranges reach the batch size the whole queue is flushed. A reset with nothing to decommit (all of
 * it kept resident) runs at once, as does every reset when the batch size is 0 or 1. A queued slot
 * stays unavailable until its batch is flushed: pools flush the queue and retry before they
 * report exhaustion.
 *
 * <p>Concurrency: enqueueing takes a short lock; flushes are serialised by a second lock and run
 * the resets outside the first, so a thread that finds its pool empty and flushes waits for a
 * flush in progress and then finds the slots it freed.
 */
public final class DecommitQueue {

  /** A slot reset waiting in the queue. */
  public interface PendingReset {

    /**
     * The ranges this reset hands back to the system (its weight in the batch).
     *
     * @return the count; 0 when everything is kept resident
     */
    int decommitRegions();

    /**
     * Resets the slot and returns it to its pool. Must not throw: a failed reset leaves the slot
     * marked for erasure.
     */
    void resetAndRelease();
  }

  private final int batchSize;

  private final Object queueLock = new Object();

  /** Queued resets, guarded by {@code queueLock}. */
  private ArrayList<PendingReset> pending = new ArrayList<>();

  /** Sum of the queued resets' regions, guarded by {@code queueLock}. */
  private int pendingRegions;

  private final ReentrantLock flushLock = new ReentrantLock();

  /**
   * A queue.
   *
   * @param batchSize the number of ranges per batch; 0 and 1 disable batching
   */
  public DecommitQueue(int batchSize) {
    if (batchSize < 0) {
      throw new IllegalArgumentException("decommitBatchSize must not be negative (was " + batchSize + ")");
    }
    this.batchSize = batchSize;
  }

  /**
   * Whether every reset runs at once (batch size 0 or 1): callers then reset inline and skip the
   * queue entirely.
   *
   * @return {@code true} without batching
   */
  public boolean immediate() {
    return batchSize <= 1;
  }

  /**
   * Queues a reset, or runs it at once when batching is off or it has nothing to decommit; flushes
   * the queue when it reaches the batch size.
   *
   * @param reset the reset
   */
  public void submit(PendingReset reset) {
    int regions = reset.decommitRegions();
    if (immediate() || regions == 0) {
      reset.resetAndRelease();
      return;
    }
    boolean full;
    synchronized (queueLock) {
      pending.add(reset);
      pendingRegions += regions;
      full = pendingRegions >= batchSize;
    }
    if (full) {
      flush();
    }
  }

  /**
   * Runs every queued reset and returns the slots to their pools. Waits for a flush in progress.
   *
   * @return {@code true} if this call or one it waited for released any slot
   */
  public boolean flush() {
    boolean waited = !flushLock.tryLock();
    if (waited) {
      flushLock.lock();
    }
    try {
      List<PendingReset> batch;
      synchronized (queueLock) {
        if (pending.isEmpty()) {
          return waited;
        }
        batch = pending;
        pending = new ArrayList<>();
        pendingRegions = 0;
      }
      for (PendingReset reset : batch) {
        reset.resetAndRelease();
      }
      return true;
    } finally {
      flushLock.unlock();
    }
  }

  /**
   * The queued resets.
   *
   * @return how many wait for a flush
   */
  public int pendingResets() {
    synchronized (queueLock) {
      return pending.size();
    }
  }

  /**
   * The queued regions.
   *
   * @return the sum of the queued resets' regions
   */
  public int pendingRegions() {
    synchronized (queueLock) {
      return pendingRegions;
    }
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
