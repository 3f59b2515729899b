package dev.wasmpool.samples;

import dev.wasmpool.api.PoolMetrics;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Prints the two runs side by side: one row per measure, one column per allocation strategy.
 *
 * <p>Stateless.
 */
final class Report {

  private static final String ROW = "  %-36s %18s %18s%n";

  private Report() {}

  /**
   * Prints the table.
   *
   * @param out where to print
   * @param backend the wasmpool backend's name, for the column header
   * @param pooled the run on wasmpool's pool
   * @param plain the run on Chicory's default allocation
   * @param metrics the pool's metrics after the pooled run, every instance closed
   */
  static void print(PrintStream out, String backend, RunResult pooled, RunResult plain, PoolMetrics metrics) {
    String na = "-";
    out.printf(Locale.ROOT, ROW, "", "wasmpool (" + backend + ")", "Chicory default");
    out.printf(Locale.ROOT, ROW, "throughput (requests/s)", count(pooled.throughput()), count(plain.throughput()));
    for (double q : new double[] {0.50, 0.90, 0.99}) {
      String name = String.format(Locale.ROOT, "latency p%d (us)", Math.round(q * 100));
      out.printf(Locale.ROOT, ROW, name, micros(pooled.percentileMicros(q)), micros(plain.percentileMicros(q)));
    }
    out.printf(Locale.ROOT, ROW, "latency max (us)", micros(pooled.percentileMicros(1.0)), micros(plain.percentileMicros(1.0)));
    for (int pages : pooled.latencyNanosByPages().keySet()) {
      String name = String.format(Locale.ROOT, "  p50, %d-page tenants (us)", pages);
      out.printf(Locale.ROOT, ROW, name, micros(pooled.percentileMicros(pages, 0.5)), micros(plain.percentileMicros(pages, 0.5)));
    }
    out.printf(Locale.ROOT, ROW, "heap allocated per request", bytes(pooled.allocatedBytesPerRequest()), bytes(plain.allocatedBytesPerRequest()));
    out.printf(Locale.ROOT, ROW, "GC collections (time)", gc(pooled), gc(plain));
    out.printf(Locale.ROOT, ROW, "wrong responses", count(pooled.wrongResponses()), count(plain.wrongResponses()));
    out.printf(Locale.ROOT, ROW, "peak live instances (sampled)", count(pooled.peakLive()), na);
    out.printf(Locale.ROOT, ROW, "live instances after the run", count(metrics.coreInstances()), na);
    out.printf(Locale.ROOT, ROW, "warm memory slots (unused)", count(metrics.unusedWarmMemories()), na);
    out.printf(Locale.ROOT, ROW, "bytes kept resident in warm slots", bytes(metrics.unusedMemoryBytesResident()), na);
  }

  private static String count(double value) {
    return value < 0 ? "-" : String.format(Locale.ROOT, "%,.0f", value);
  }

  private static String micros(double value) {
    return String.format(Locale.ROOT, "%,.1f", value);
  }

  private static String gc(RunResult r) {
    return r.gcCount() + " (" + r.gcMillis() + " ms)";
  }

  /** A byte count with a binary unit: {@code 512 B}, {@code 3.4 KiB}, {@code 1.0 MiB}. */
  static String bytes(long bytes) {
    if (bytes < 0) {
      return "-";
    }
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes / 1024.0;
    int unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
