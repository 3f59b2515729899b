package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.Engine;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.internal.events.PoolEvents;
import dev.wasmpool.spi.support.Lanes;
import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Finds the engine's instances that are not closed: those open for longer than {@code
 * leakDetectionThreshold} are logged once, with the stack of the call that instantiated them, and
 * those that became unreachable without {@code close()} are reclaimed.
 *
 * <p>Reclaim. Every instance is handed out as a {@link TrackedAllocation} whose token is
 * registered with one {@link Cleaner} for the JVM. Once the token is unreachable (nothing can use
 * or close the instance any more) the cleaner's thread closes the {@link Allocation}, as a close
 * on another thread would: the shared arena closes first, so no shared view can reach the slots
 * again, and the owner's confined views keep only this tenant's bytes (the slots go back under
 * fresh ranges, or wait for the owner; see {@link EngineImpl#orphaned}). The action holds the
 * allocation, never the handle or its token, or the handle could not become unreachable.
 *
 * <p>Threshold. Off ({@code 0}) by default, and then nothing is recorded: no stack, no entry. On,
 * each instantiation records its stack and time in {@link #open}, and a daemon thread ({@code
 * wasmpool-leak-detector}) runs {@link #check()} every half threshold, at most once per 10 ms.
 *
 * <p>Concurrency: thread-safe. A reclaim and {@link #close()} hold this object's monitor, so the
 * engine's close never runs while the cleaner's thread hands slots back, and no reclaim runs
 * after it.
 */
final class LeakDetector implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());

  private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  /**
   * A few cleaners for the JVM, one per lane of threads: every instantiation registers with one
   * and every close deregisters, and each cleaner's list has its own lock, which two threads
   * instantiating at once would otherwise take in turn. Reclaims are rare, and each is a close.
   */
  private static final Cleaner[] CLEANERS = cleaners(Math.min(Lanes.COUNT, 8));

  private static Cleaner[] cleaners(int count) {
    Cleaner[] cleaners = new Cleaner[count];
    for (int i = 0; i < count; i++) {
      String name = "wasmpool-reclaim-" + i;
      cleaners[i] = Cleaner.create(r -> Thread.ofPlatform().name(name).daemon().unstarted(r));
    }
    return cleaners;
  }

  private final long thresholdNanos;
  private final LongSupplier clock;
  private final System.Logger log;

  /** The open instances with their instantiation; empty while the threshold is off. */
  private final Set<Instantiation> open = ConcurrentHashMap.newKeySet();

  private final @Nullable ScheduledExecutorService checker;

  private final LongAdder reclaimed = new LongAdder();

  /** Set by {@link #close()}: the engine closes what is left; guarded by {@code this}. */
  private boolean closed;

  /**
   * A detector, with its checking thread when the threshold is positive.
   *
   * @param threshold {@code leakDetectionThreshold}; zero for none
   */
  LeakDetector(Duration threshold) {
    this(threshold, System::nanoTime, true, LOG);
  }

  /**
   * A detector on a given clock and logger, for tests, which call {@link #check()} themselves.
   *
   * @param threshold {@code leakDetectionThreshold}; zero for none
   * @param clock nanoseconds, monotonic
   * @param checking whether to start the checking thread
   * @param log where reports go
   */
  LeakDetector(Duration threshold, LongSupplier clock, boolean checking, System.Logger log) {
    this.thresholdNanos = threshold.toNanos();
    this.clock = clock;
    this.log = log;
    if (checking && thresholdNanos > 0) {
      long period = Math.max(MIN_PERIOD_NANOS, thresholdNanos / 2);
      ScheduledExecutorService thread =
          Executors.newSingleThreadScheduledExecutor(
              r -> Thread.ofPlatform().name("wasmpool-leak-detector").daemon().unstarted(r));
      thread.scheduleWithFixedDelay(this::checkAndLog, period, period, TimeUnit.NANOSECONDS);
      this.checker = thread;
    } else {
      this.checker = null;
    }
  }

  /**
   * Hands out an allocation: wraps it in the handle whose reachability is watched and, with a
   * threshold, records where it was made.
   *
   * @param allocation the new allocation, on the thread that made it
   * @return the handle for the user
   */
  InstanceAllocation track(Allocation allocation) {
    Instantiation made = null;
    if (thresholdNanos > 0) {
      made = new Instantiation(allocation, clock.getAsLong());
      open.add(made);
    }
    return new TrackedAllocation(allocation, CLEANERS[Lanes.current() % CLEANERS.length], new End(this, allocation, made));
  }

  /**
   * Logs once each instance open for longer than the threshold.
   *
   * @return how many were logged by this call
   */
  int check() {
    long now = clock.getAsLong();
    int logged = 0;
    for (Instantiation made : open) {
      if (!made.reported && now - made.nanos >= thresholdNanos && !made.allocation.isClosed()) {
        made.reported = true;
        logged++;
        log.log(
            System.Logger.Level.WARNING,
            String.format(
                Locale.ROOT,
                "possible instance leak: an instance of module %s has been open for more than"
                    + " leakDetectionThreshold=%d ms; it was instantiated on thread %s at:",
                made.module,
                TimeUnit.NANOSECONDS.toMillis(thresholdNanos),
                made.thread),
            made.stack);
      }
    }
    return logged;
  }

  private void checkAndLog() {
    try {
      check();
    } catch (RuntimeException e) {
      log.log(System.Logger.Level.WARNING, "checking for instance leaks failed", e);
    }
  }

  /**
   * Instances whose instantiation is recorded now (for tests): 0 while the threshold is off.
   *
   * @return the count
   */
  int recorded() {
    return open.size();
  }

  /**
   * Instances reclaimed after they became unreachable without a close.
   *
   * @return the count since the engine started
   */
  long reclaimed() {
    return reclaimed.sum();
  }

  /**
   * Stops the checking thread and every later reclaim, waiting for one in progress: the engine's
   * close closes the allocations left itself.
   */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    open.clear();
    if (checker != null) {
      checker.shutdownNow();
    }
  }

  /** Runs once per instance, when its handle closed it or became unreachable. */
  private void ended(Allocation allocation, @Nullable Instantiation made) {
    if (made != null) {
      open.remove(made);
    }
    if (!allocation.isClosed()) {
      reclaim(allocation, made);
    } else if (made != null && made.reported) {
      log.log(
          System.Logger.Level.INFO,
          "the instance of module "
              + made.module
              + " reported as a possible leak was closed after "
              + TimeUnit.NANOSECONDS.toMillis(clock.getAsLong() - made.nanos)
              + " ms (unleaked)");
    }
  }

  /** Closes an allocation nobody can reach any more; on the cleaner's thread. */
  private synchronized void reclaim(Allocation allocation, @Nullable Instantiation made) {
    if (closed) {
      return;
    }
    String module = allocation.registeredModule().descriptor().name();
    try {
      allocation.close();
    } catch (RuntimeException e) {
      log.log(
          System.Logger.Level.WARNING,
          "reclaiming an unreachable instance of module " + module + " that was never closed failed",
          e);
      return;
    }
    PoolEvents.leakReclaimed(module, allocation.registeredModule().id());
    String message =
        "an instance of module "
            + module
            + " became unreachable without being closed: the engine closed it, and its slots return"
            + " to the pool; close every instance, for example with try-with-resources";
    if (made != null) {
      log.log(
          System.Logger.Level.WARNING,
          message + "; it was instantiated on thread " + made.thread + " at:",
          made.stack);
    } else {
      log.log(
          System.Logger.Level.WARNING,
          message + " (set leakDetectionThreshold to log where it was instantiated)");
    }
    // Last: whoever sees the count also finds the log record and the event.
    reclaimed.increment();
  }

  /** The cleaning action: holds the allocation and its record, never the handle. */
  private static final class End implements Runnable {

    private final LeakDetector detector;
    private final Allocation allocation;
    private final @Nullable Instantiation made;

    End(LeakDetector detector, Allocation allocation, @Nullable Instantiation made) {
      this.detector = detector;
      this.allocation = allocation;
      this.made = made;
    }

    @Override
    public void run() {
      try {
        detector.ended(allocation, made);
      } catch (RuntimeException e) {
        // The cleaner would drop it silently.
        detector.log.log(System.Logger.Level.WARNING, "ending an instance failed", e);
      }
    }
  }

  /** Where and when an instance was made; recorded only with a threshold. */
  private static final class Instantiation {

    final Allocation allocation;
    final long nanos;
    final String module;
    final String thread;
    final Exception stack;

    /** Set once it was logged as open past the threshold. */
    volatile boolean reported;

    Instantiation(Allocation allocation, long nanos) {
      this.allocation = allocation;
      this.nanos = nanos;
      this.module = allocation.registeredModule().descriptor().name();
      Thread current = Thread.currentThread();
      this.thread = current.getName().isEmpty() ? "#" + current.threadId() : current.getName();
      this.stack = new Exception("instantiated here");
    }
  }
}
