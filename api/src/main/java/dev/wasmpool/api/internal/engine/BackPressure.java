package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.PoolExhaustedException;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Waiting for a slot of a full pool ({@code acquireTimeout}): an instantiation that finds the
 * pool full waits, in arrival order, until an instance of the engine closes, then tries again,
 * until its time is up.
 *
 * <p>Order: waiters queue in a FIFO; only the head tries to allocate, and while anyone waits a new
 * instantiation joins the queue instead of trying first, so a freed slot goes to the longest
 * waiter. After the head succeeds or gives up, the next one is woken to try, so one release that
 * frees several slots serves several waiters.
 *
 * <p>Cost: with a timeout of 0 (the default) {@link #acquire} is a plain call; otherwise a release
 * reads one volatile field when nobody waits. Waiters park on a {@link ReentrantLock}'s condition,
 * so a virtual thread unmounts instead of pinning its carrier.
 */
final class BackPressure {

  /** A parked instantiation. */
  private static final class Waiter {
    final Condition turn;

    Waiter(Condition turn) {
      this.turn = turn;
    }
  }

  private final long timeoutNanos;
  private final ReentrantLock lock = new ReentrantLock();

  /** Waiters, longest waiting first; guarded by {@code lock}. */
  private final ArrayDeque<Waiter> queue = new ArrayDeque<>();

  /** The queue's size, readable without the lock by {@link #released()}. */
  private volatile int waiting;

  /**
   * A wait policy.
   *
   * @param timeoutNanos the longest wait; 0 fails at once
   */
  BackPressure(long timeoutNanos) {
    this.timeoutNanos = timeoutNanos;
  }

  /**
   * Runs {@code attempt}; if the pool is full, waits for releases and runs it again until it
   * succeeds or the timeout has passed.
   *
   * @param attempt one try; throws {@link PoolExhaustedException} when the pool is full
   * @param counts describes the pool's state for the timeout message
   * @return what the successful attempt returned
   * @throws PoolExhaustedException when the time is up (its message says how long it waited and
   *     the counts), or at once without a timeout
   */
  <T> T acquire(Supplier<T> attempt, Supplier<String> counts) {
    if (timeoutNanos == 0) {
      return attempt.get();
    }
    PoolExhaustedException last = null;
    if (waiting == 0) {
      try {
        return attempt.get();
      } catch (PoolExhaustedException e) {
        last = e;
      }
    }
    long deadline = System.nanoTime() + timeoutNanos;
    lock.lock();
    Waiter me = new Waiter(lock.newCondition());
    queue.addLast(me);
    waiting = queue.size();
    try {
      while (true) {
        if (queue.peekFirst() == me) {
          try {
            return attempt.get();
          } catch (PoolExhaustedException e) {
            last = e;
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw timedOut(last, counts);
        }
        try {
          me.turn.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          PoolExhaustedException failure = timedOut(last, counts);
          failure.addSuppressed(e);
          throw failure;
        }
      }
    } finally {
      queue.remove(me);
      waiting = queue.size();
      Waiter next = queue.peekFirst();
      if (next != null) {
        next.turn.signal();
      }
      lock.unlock();
    }
  }

  /** An instance closed: wakes the longest waiter, if any, to try again. */
  void released() {
    if (waiting == 0) {
      return;
    }
    lock.lock();
    try {
      Waiter head = queue.peekFirst();
      if (head != null) {
        head.turn.signal();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Instantiations waiting now.
   *
   * @return the count
   */
  int waiting() {
    return waiting;
  }

  private PoolExhaustedException timedOut(@Nullable PoolExhaustedException last, Supplier<String> counts) {
    String kind = last != null ? last.kind() : "slots";
    long limit = last != null ? last.limit() : 0;
    return new PoolExhaustedException(
        kind,
        limit,
        String.format(
            Locale.ROOT,
            "no slot was freed within %d ms (%s; %d waiting)",
            TimeUnit.NANOSECONDS.toMillis(timeoutNanos),
            counts.get(),
            waiting));
  }
}
