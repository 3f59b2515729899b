package dev.wasmpool.api.internal.limits;

import dev.wasmpool.api.PoolExhaustedException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A counter of live units with an upper bound: core instances, component instances, stacks, GC
 * heaps. Lock-free; {@link #tryAcquire()} never lets the count pass the limit.
 */
public final class CountLimit {

  /** The name in {@link PoolExhaustedException#kind()}, for example {@code "core instances"}. */
  private final String kind;

  /** The most units live at once. */
  private final int limit;

  /** Units live now; invariant {@code 0 <= live <= limit}. */
  private final AtomicInteger live = new AtomicInteger();

  /** {@link #acquire()}s refused; striped, as threads that fail at once all count. */
  private final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();

  /**
   * A limit.
   *
   * @param kind what is counted, as it appears in the exhaustion message
   * @param limit the most units live at once, not negative
   */
  public CountLimit(String kind, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException(kind + " limit must not be negative (was " + limit + ")");
    }
    this.kind = kind;
    this.limit = limit;
  }

  /**
   * A counter without a bound (the on-demand strategy counts for metrics only).
   *
   * @param kind what is counted
   * @return the counter
   */
  public static CountLimit unbounded(String kind) {
    return new CountLimit(kind, Integer.MAX_VALUE);
  }

  /**
   * Takes one unit if the limit allows.
   *
   * @return {@code true} if taken
   */
  public boolean tryAcquire() {
    while (true) {
      int now = live.get();
      if (now >= limit) {
        return false;
      }
      if (live.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  /**
   * Takes one unit.
   *
   * @throws PoolExhaustedException {@code "maximum concurrent limit of N for KIND reached"} if the
   *     limit is reached
   */
  public void acquire() {
    if (!tryAcquire()) {
      refused.increment();
      throw exhausted();
    }
  }

  /**
   * How often {@link #acquire()} found the limit reached.
   *
   * @return the count
   */
  public long exhaustions() {
    return refused.sum();
  }

  /** Gives one unit back. */
  public void release() {
    int after = live.decrementAndGet();
    assert after >= 0 : kind + " released more often than acquired";
  }

  /**
   * The exception for a full counter.
   *
   * @return {@code "maximum concurrent limit of N for KIND reached"}
   */
  public PoolExhaustedException exhausted() {
    return new PoolExhaustedException(kind, limit);
  }

  /**
   * Units live now.
   *
   * @return the count
   */
  public int live() {
    return live.get();
  }

  /**
   * The bound.
   *
   * @return the most units live at once
   */
  public int limit() {
    return limit;
  }

  /**
   * What is counted.
   *
   * @return the kind
   */
  public String kind() {
    return kind;
  }
}
