package dev.wasmpool.spi.support;

import java.util.concurrent.atomic.AtomicInteger;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Spreads threads over a few per-processor resources ("lanes"), so that threads running at once
 * on different cores mostly use different ones: each thread gets the next lane, round-robin, on
 * first use and keeps it. With as many lanes as processors, the threads that run together at any
 * moment rarely share one.
 *
 * <p>A helper for backends: {@link BookedReservation} counts operations in flight per lane, and a
 * backend may spread its own per-thread resources (the Linux backend's page-scan descriptors) the
 * same way.
 */
public final class Lanes {

  /** One lane per processor, at most 64. */
  public static final int COUNT = Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 64);

  private static final AtomicInteger NEXT = new AtomicInteger();

  private static final ThreadLocal<@Nullable Integer> LANE = new ThreadLocal<>();

  private Lanes() {}

  /**
   * This thread's lane.
   *
   * @return a number in {@code [0, COUNT)}
   */
  public static int current() {
    Integer lane = LANE.get();
    if (lane == null) {
      lane = (NEXT.getAndIncrement() & Integer.MAX_VALUE) % COUNT;
      LANE.set(lane);
    }
    return lane;
  }
}
