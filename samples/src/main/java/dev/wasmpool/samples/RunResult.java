package dev.wasmpool.samples;

import java.util.SortedMap;

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
