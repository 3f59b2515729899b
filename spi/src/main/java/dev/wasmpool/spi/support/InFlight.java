package dev.wasmpool.spi.support;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Counts the operations running on a reservation, so that closing it waits for them: an {@code
 * madvise} or {@code mmap} must never reach an address range after {@code munmap} gave it back
 * (another mapping may live there by then).
 *
 * <p>Why not a read-write lock: every reset took its read lock, one compare-and-set on a word that
 * all threads share, twice per instance; with two threads instantiating, that line moved between
 * the cores on every operation. Here each {@link Lanes lane} counts on its own cache line, and only
 * closing, which is rare, reads them all.
 *
 * <p>Correctness: an operation increments its lane, then reads {@code closing}; closing writes
 * {@code closing}, then reads every lane. Both are volatile, so either the operation sees the
 * reservation closing (and backs out), or closing sees the operation's count and waits for it.
 */
final class InFlight {

  /** Longs between two lanes' counters: 128 bytes, two cache lines, against adjacent prefetch. */
  private static final int STRIDE = 16;

  private final AtomicLongArray counts = new AtomicLongArray(Lanes.COUNT * STRIDE);

  private volatile boolean closing;

  /**
   * Starts an operation.
   *
   * @return the index to pass to {@link #exit}, or {@code -1} when the reservation is closing (the
   *     operation must not run)
   */
  int enter() {
    int index = Lanes.current() * STRIDE;
    counts.incrementAndGet(index);
    if (closing) {
      counts.decrementAndGet(index);
      return -1;
    }
    return index;
  }

  /**
   * Ends an operation.
   *
   * @param index what {@link #enter} returned
   */
  void exit(int index) {
    counts.decrementAndGet(index);
  }

  /**
   * Stops new operations and waits until the running ones have ended.
   *
   * @return {@code false} if closing had begun before (the caller reports a second close)
   */
  synchronized boolean close() {
    if (closing) {
      return false;
    }
    closing = true;
    for (int index = 0; index < counts.length(); index += STRIDE) {
      while (counts.get(index) != 0) {
        LockSupport.parkNanos(10_000); // operations are single system calls: microseconds
      }
    }
    return true;
  }
}
