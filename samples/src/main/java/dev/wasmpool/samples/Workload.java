package dev.wasmpool.samples;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.stream.IntStream;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Serves a fixed number of requests, spread over the tenants, from several threads, and measures
 * them: throughput, per-request latency, heap allocation and garbage collection. Every response is
 * checked against the tenant's expected answer.
 *
 * <p>Request {@code r} always goes to the same tenant with the same argument, so two runs over the
 * same range serve exactly the same requests whatever handler serves them.
 *
 * <p>Not thread-safe: one run at a time.
 */
final class Workload {

  /** How often the progress line is redrawn. */
  private static final long PROGRESS_MILLIS = 200;

  private final List<Tenant> tenants;
  private final int threads;
  private final Progress progress;

  /**
   * A workload over {@code tenants} served by {@code threads} threads.
   *
   * @param tenants the tenants requests are spread over
   * @param threads worker threads
   * @param progress where the progress is shown
   */
  Workload(List<Tenant> tenants, int threads, Progress progress) {
    this.tenants = List.copyOf(tenants);
    this.threads = threads;
    this.progress = progress;
  }

  /**
   * Serves requests {@code from..to-1} with {@code handler}.
   *
   * @param label names the run on the progress line
   * @param from the first request
   * @param to one past the last request
   * @param handler serves each request
   * @param liveInstances reads how many instances are live now, for the peak; {@code null} if
   *     the handler cannot tell
   * @return the measurements
   * @throws IllegalStateException if a request failed; the first failure is the cause
   */
  RunResult run(
      String label, int from, int to, RequestHandler handler, @Nullable IntSupplier liveInstances) {
    int requests = to - from;
    long[] latencies = new long[requests];
    int[] pages = new int[requests];
    AtomicInteger next = new AtomicInteger();
    AtomicInteger done = new AtomicInteger();
    LongAdder wrong = new LongAdder();
    LongAdder allocated = new LongAdder();
    AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();

    Runnable worker =
        () -> {
          long allocatedBefore = threadAllocatedBytes();
          try {
            int r;
            while ((r = next.getAndIncrement()) < requests && failure.get() == null) {
              long h = mix(from + r);
              int tenant = (int) Long.remainderUnsigned(h, tenants.size());
              int seed = (int) (h >>> 32);
              long start = System.nanoTime();
              int response = handler.handle(tenant, seed);
              latencies[r] = System.nanoTime() - start;
              pages[r] = tenants.get(tenant).pages();
              if (response != tenants.get(tenant).expected(seed)) {
                wrong.increment();
              }
              done.incrementAndGet();
            }
          } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
          }
          allocated.add(threadAllocatedBytes() - allocatedBefore);
        };

    long gcCountBefore = gcCount();
    long gcMillisBefore = gcMillis();
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < threads; i++) {
      workers.add(Thread.ofPlatform().name(label + "-worker-" + i).start(worker));
    }
    int peakLive = liveInstances == null ? -1 : 0;
    for (Thread t : workers) {
      while (!join(t)) {
        if (liveInstances != null) {
          peakLive = Math.max(peakLive, liveInstances.getAsInt());
        }
        drawProgress(label, done.get(), requests, start, false);
      }
    }
    long elapsed = System.nanoTime() - start;
    drawProgress(label, done.get(), requests, start, true);

    Throwable cause = failure.get();
    if (cause != null) {
      throw new IllegalStateException(label + ": a request failed: " + cause, cause);
    }
    SortedMap<Integer, long[]> byPages = groupByPages(latencies, pages);
    Arrays.sort(latencies);
    boolean allocationKnown = threadAllocatedBytes() >= 0;
    return new RunResult(
        requests,
        elapsed,
        latencies,
        byPages,
        allocationKnown ? allocated.sum() : -1,
        gcCount() - gcCountBefore,
        gcMillis() - gcMillisBefore,
        wrong.sum(),
        peakLive);
  }

  /** The latencies grouped by their tenant's page count, each group sorted. */
  private static SortedMap<Integer, long[]> groupByPages(long[] latencies, int[] pages) {
    SortedMap<Integer, long[]> groups = new TreeMap<>();
    for (int p : IntStream.of(pages).distinct().toArray()) {
      groups.put(
          p,
          IntStream.range(0, latencies.length)
              .filter(r -> pages[r] == p)
              .mapToLong(r -> latencies[r])
              .sorted()
              .toArray());
    }
    return groups;
  }

  /** Waits up to one progress period for {@code t}; whether it has finished. */
  private static boolean join(Thread t) {
    try {
      return t.join(java.time.Duration.ofMillis(PROGRESS_MILLIS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + t.getName(), e);
    }
  }

  /** Shows how far the run is. */
  private void drawProgress(String label, int done, int requests, long start, boolean last) {
    double seconds = (System.nanoTime() - start) / 1e9;
    String line =
        String.format(
            Locale.ROOT,
            "  %-20s %,9d / %,d requests  %3d%%  %,8.0f req/s",
            label,
            done,
            requests,
            (int) (100L * done / Math.max(1, requests)),
            seconds > 0 ? done / seconds : 0.0);
    progress.show(line, last);
  }

  /** Spreads request numbers over tenants and arguments (a 64-bit finalizer). */
  private static long mix(long r) {
    long z = r * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Heap bytes this thread has allocated so far, or -1 when the JVM does not say. */
  private static long threadAllocatedBytes() {
    ThreadMXBean bean = ManagementFactory.getThreadMXBean();
    if (bean instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()) {
      return sun.getCurrentThreadAllocatedBytes();
    }
    return -1;
  }

  private static long gcCount() {
    long sum = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionCount());
    }
    return sum;
  }

  private static long gcMillis() {
    long sum = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionTime());
    }
    return sum;
  }
}
