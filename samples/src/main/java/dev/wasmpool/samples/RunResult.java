package dev.wasmpool.samples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.LongStream;

/**
 * What one measured run of the workload produced.
 *
 * @param requests requests served
 * @param elapsedNanos wall-clock time of the run
 * @param latencyNanos each request's latency, sorted ascending
 * @param latencyNanosByPages the same latencies grouped by the initial memory size (in pages) of
 *     the request's tenant, each group sorted ascending
 * @param allocatedBytes bytes the worker threads allocated on the Java heap, or -1 when the JVM
 *     cannot tell
 * @param gcCount garbage collections during the run, over all collectors
 * @param gcMillis time the collectors reported for those collections
 * @param wrongResponses responses that differed from the expected answer
 * @param peakLive the most instances seen live at once by the progress sampler, or -1 when not
 *     sampled
 */
record RunResult(
    int requests,
    long elapsedNanos,
    long[] latencyNanos,
    SortedMap<Integer, long[]> latencyNanosByPages,
    long allocatedBytes,
    long gcCount,
    long gcMillis,
    long wrongResponses,
    int peakLive) {

  /**
   * The runs of one handler taken together, as if they were one run: counts and times add up,
   * latencies are pooled, the peak is the highest.
   *
   * @param runs the runs, at least one
   * @return the combined result
   */
  static RunResult combine(List<RunResult> runs) {
    int requests = 0;
    long elapsed = 0;
    long allocated = 0;
    long gcCount = 0;
    long gcMillis = 0;
    long wrong = 0;
    int peak = -1;
    SortedMap<Integer, List<long[]>> parts = new TreeMap<>();
    for (RunResult run : runs) {
      requests += run.requests;
      elapsed += run.elapsedNanos;
      allocated = allocated < 0 || run.allocatedBytes < 0 ? -1 : allocated + run.allocatedBytes;
      gcCount += run.gcCount;
      gcMillis += run.gcMillis;
      wrong += run.wrongResponses;
      peak = Math.max(peak, run.peakLive);
      run.latencyNanosByPages.forEach((p, l) -> parts.computeIfAbsent(p, k -> new ArrayList<>()).add(l));
    }
    SortedMap<Integer, long[]> byPages = new TreeMap<>();
    parts.forEach((p, l) -> byPages.put(p, sortedConcat(l)));
    return new RunResult(
        requests,
        elapsed,
        sortedConcat(runs.stream().map(RunResult::latencyNanos).toList()),
        byPages,
        allocated,
        gcCount,
        gcMillis,
        wrong,
        peak);
  }

  private static long[] sortedConcat(List<long[]> arrays) {
    long[] all = arrays.stream().flatMapToLong(LongStream::of).toArray();
    Arrays.sort(all);
    return all;
  }

  /**
   * Requests per second over the run.
   *
   * @return the throughput
   */
  double throughput() {
    return requests * 1e9 / elapsedNanos;
  }

  /**
   * The latency below which a fraction {@code q} of the requests finished (nearest rank).
   *
   * @param q the quantile, in (0, 1]
   * @return the latency in microseconds
   */
  double percentileMicros(double q) {
    return percentileMicros(latencyNanos, q);
  }

  /**
   * The latency below which a fraction {@code q} of the requests to tenants of {@code pages}
   * initial pages finished.
   *
   * @param pages the tenants' initial memory size
   * @param q the quantile, in (0, 1]
   * @return the latency in microseconds, or NaN if no request went to such a tenant
   */
  double percentileMicros(int pages, double q) {
    long[] group = latencyNanosByPages.get(pages);
    return group == null ? Double.NaN : percentileMicros(group, q);
  }

  private static double percentileMicros(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)] / 1000.0;
  }

  /**
   * Heap bytes allocated per request.
   *
   * @return bytes, or -1 when unknown
   */
  long allocatedBytesPerRequest() {
    return allocatedBytes < 0 ? -1 : allocatedBytes / requests;
  }
}
