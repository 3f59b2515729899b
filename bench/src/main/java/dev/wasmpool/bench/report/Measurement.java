package dev.wasmpool.bench.report;

import dev.wasmpool.testkit.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One JMH result: a benchmark method with its parameters, and the median of its measurement
 * iterations.
 *
 * @param benchmark the benchmark's simple name, {@code Class.method}
 * @param params its {@code @Param} values, sorted by name
 * @param threads the number of benchmark threads
 * @param mode JMH's mode ({@code avgt}, {@code thrpt}, ...)
 * @param unit the score's unit, for example {@code us/op}
 * @param median the median of the iteration scores
 * @param error the score error JMH reports (99.9% interval half-width), NaN if unknown
 * @param bytesPerOp the bytes allocated per operation ({@code -prof gc}'s {@code
 *     gc.alloc.rate.norm}, its median over the iterations), NaN if not profiled
 * @param forkMedians the median of each fork's iterations, in fork order; empty if unknown
 */
public record Measurement(
    String benchmark,
    Map<String, String> params,
    int threads,
    String mode,
    String unit,
    double median,
    double error,
    double bytesPerOp,
    List<Double> forkMedians) {

  /** JMH's name of the secondary result that gives the bytes allocated per operation. */
  public static final String ALLOCATION_METRIC = "gc.alloc.rate.norm";

  /** Copies the parameters into a sorted map and the fork medians into an unmodifiable list. */
  public Measurement {
    params = new TreeMap<>(params);
    forkMedians = List.copyOf(forkMedians);
  }

  /**
   * A measurement without fork medians.
   *
   * @param benchmark as for the canonical constructor
   * @param params as for the canonical constructor
   * @param threads as for the canonical constructor
   * @param mode as for the canonical constructor
   * @param unit as for the canonical constructor
   * @param median as for the canonical constructor
   * @param error as for the canonical constructor
   * @param bytesPerOp as for the canonical constructor
   */
  public Measurement(
      String benchmark,
      Map<String, String> params,
      int threads,
      String mode,
      String unit,
      double median,
      double error,
      double bytesPerOp) {
    this(benchmark, params, threads, mode, unit, median, error, bytesPerOp, List.of());
  }

  /**
   * A measurement without allocation figures.
   *
   * @param benchmark as for the canonical constructor
   * @param params as for the canonical constructor
   * @param threads as for the canonical constructor
   * @param mode as for the canonical constructor
   * @param unit as for the canonical constructor
   * @param median as for the canonical constructor
   * @param error as for the canonical constructor
   */
  public Measurement(
      String benchmark, Map<String, String> params, int threads, String mode, String unit, double median, double error) {
    this(benchmark, params, threads, mode, unit, median, error, Double.NaN);
  }

  /**
   * Reads a JMH result file written with {@code -rf json}.
   *
   * @param json the file's contents
   * @return the measurements, in file order
   * @throws IllegalArgumentException if the text is not a JMH result array
   */
  public static List<Measurement> parseJmhJson(String json) {
    Object root = Json.parse(json);
    if (!(root instanceof List<?> results)) {
      throw new IllegalArgumentException("a JMH result file is a JSON array");
    }
    List<Measurement> out = new ArrayList<>();
    for (Object entry : results) {
      Map<?, ?> result = map(entry, "result");
      String fullName = string(result.get("benchmark"), "benchmark");
      String[] parts = fullName.split("\\.");
      String name =
          parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : fullName;
      Map<String, String> params = new TreeMap<>();
      Object rawParams = result.get("params");
      if (rawParams instanceof Map<?, ?> p) {
        p.forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
      }
      Map<?, ?> primary = map(result.get("primaryMetric"), "primaryMetric");
      Map<?, ?> percentiles = map(primary.get("scorePercentiles"), "scorePercentiles");
      out.add(
          new Measurement(
              name,
              params,
              number(result.get("threads"), 1),
              string(result.get("mode"), "mode"),
              string(primary.get("scoreUnit"), "scoreUnit"),
              number(percentiles.get("50.0"), Double.NaN),
              number(primary.get("scoreError"), Double.NaN),
              allocation(result.get("secondaryMetrics")),
              forkMedians(primary.get("rawData"))));
    }
    return out;
  }

  /** The median of each fork's iteration scores ({@code rawData}: one array per fork). */
  private static List<Double> forkMedians(@Nullable Object rawData) {
    List<Double> medians = new ArrayList<>();
    if (rawData instanceof List<?> forks) {
      for (Object fork : forks) {
        if (fork instanceof List<?> scores && !scores.isEmpty()) {
          double[] sorted = scores.stream().mapToDouble(v -> number(v, Double.NaN)).sorted().toArray();
          int n = sorted.length;
          medians.add(n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
        }
      }
    }
    return medians;
  }

  /** The median of {@value #ALLOCATION_METRIC} among the secondary metrics, NaN if absent. */
  private static double allocation(@Nullable Object secondary) {
    if (!(secondary instanceof Map<?, ?> metrics) || !(metrics.get(ALLOCATION_METRIC) instanceof Map<?, ?> metric)) {
      return Double.NaN;
    }
    if (metric.get("scorePercentiles") instanceof Map<?, ?> percentiles) {
      return number(percentiles.get("50.0"), Double.NaN);
    }
    return number(metric.get("score"), Double.NaN);
  }

  /**
   * This measurement's parameters without {@code excluded}, as {@code a=1 b=2}.
   *
   * @param excluded the parameter to leave out (the one the table's columns are made of)
   * @return the label
   */
  public String paramsLabel(String excluded) {
    StringBuilder sb = new StringBuilder();
    params.forEach(
        (k, v) -> {
          if (!k.equals(excluded)) {
            sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(v);
          }
        });
    return sb.toString();
  }

  private static Map<?, ?> map(@Nullable Object value, String what) {
    if (value instanceof Map<?, ?> m) {
      return m;
    }
    throw new IllegalArgumentException("JMH result lacks the object '" + what + "'");
  }

  private static String string(@Nullable Object value, String what) {
    if (value instanceof String s) {
      return s;
    }
    throw new IllegalArgumentException("JMH result lacks the string '" + what + "'");
  }

  private static double number(@Nullable Object value, double fallback) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof String s) {
      try {
        return Double.parseDouble(s);
      } catch (NumberFormatException e) {
        return fallback;
      }
    }
    return fallback;
  }

  private static int number(@Nullable Object value, int fallback) {
    return value instanceof Number n ? n.intValue() : fallback;
  }
}
