package dev.wasmpool.api.internal.engine;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The engine's idle-trim thread ({@code warmSlotIdleTimeout}): a daemon that runs the trim every
 * half timeout, at most once per 10 ms, until the engine closes.
 */
final class IdleTrimmer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(IdleTrimmer.class.getName());

  private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final ScheduledExecutorService thread;

  private IdleTrimmer(ScheduledExecutorService thread) {
    this.thread = thread;
  }

  /**
   * Starts trimming, or does nothing without a timeout.
   *
   * @param timeout the idle time; zero for none
   * @param trim trims once and says how many slots it trimmed
   * @return the trimmer, or {@code null} for a zero timeout
   */
  static @Nullable IdleTrimmer start(Duration timeout, IntSupplier trim) {
    if (!timeout.isPositive()) {
      return null;
    }
    long period = Math.max(MIN_PERIOD_NANOS, timeout.toNanos() / 2);
    ScheduledExecutorService thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("wasmpool-idle-trim").daemon().unstarted(r));
    thread.scheduleWithFixedDelay(
        () -> {
          try {
            int trimmed = trim.getAsInt();
            if (trimmed > 0) {
              LOG.log(System.Logger.Level.DEBUG, "trimmed {0} idle warm slots", trimmed);
            }
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "trimming idle warm slots failed", e);
          }
        },
        period,
        period,
        TimeUnit.NANOSECONDS);
    return new IdleTrimmer(thread);
  }

  /** Stops the thread and waits for a trim in progress. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "the idle-trim thread did not stop within 10 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
