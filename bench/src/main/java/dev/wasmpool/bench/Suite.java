package dev.wasmpool.bench;

import dev.wasmpool.bench.report.BarChart;
import dev.wasmpool.bench.report.ComparisonTable;
import dev.wasmpool.bench.report.Measurement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the whole benchmark suite and writes the performance report: {@code docs/PERFORMANCE.md}
 * (medians, ratios to Chicory's default memory, the targets met or missed) and {@code
 * docs/performance.png}.
 *
 * <p>Run it with {@value #COMMAND} from the repository root. Arguments:
 *
 * <ul>
 *   <li>{@code --docs DIR}: where the report goes (the repository's {@code docs/});
 *   <li>{@code --result FILE}: the JMH result file (JSON) to write, or to read with {@code
 *       --report-only};
 *   <li>{@code --include REGEX}: only the benchmarks matching (a partial report, for profiling);
 *   <li>{@code --report-only}: write the report from an existing result file, without running.
 * </ul>
 */
public final class Suite {

  /** The command that runs the suite and writes the report, as the README gives it. */
  public static final String COMMAND = "mvn -B -ntp -q -DskipTests -Prun-bench package -pl bench -am";

  /** The benchmark classes of the suite, in report order. */
  static final List<Class<?>> BENCHMARKS =
      List.of(
          InstantiateBenchmark.class,
          TouchBenchmark.class,
          ImportedMemoryBenchmark.class,
          ResetCostBenchmark.class,
          WorkloadBenchmark.class,
          ConcurrencyBenchmark.class,
          EightModulesBenchmark.class,
          SnapshotBenchmark.class);

  private Suite() {}

  /**
   * Runs the suite and writes the report.
   *
   * @param args see the class comment
   * @throws Exception if a benchmark fails or the report cannot be written
   */
  public static void main(String[] args) throws Exception {
    Path docs = Path.of("docs");
    Path result = Path.of("bench", "target", "jmh-result.json");
    @Nullable String include = null;
    boolean reportOnly = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--docs" -> docs = Path.of(value(args, ++i, "--docs"));
        case "--result" -> result = Path.of(value(args, ++i, "--result"));
        case "--include" -> include = value(args, ++i, "--include");
        case "--report-only" -> reportOnly = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Machine before = Machine.now();
    Instant start = Instant.now();
    if (!reportOnly) {
      run(include, result);
    }
    Duration took = Duration.between(start, Instant.now());
    Machine after = Machine.now();
    List<Measurement> measurements =
        Measurement.parseJmhJson(Files.readString(result, StandardCharsets.UTF_8));
    Files.createDirectories(docs);
    ComparisonTable all = ComparisonTable.of(measurements, "memory", Subject.MEMORIES, Subject.BASELINE);
    BarChart.write(
        all,
        "wasmpool vs Chicory 1.7.5 memories (medians; log scale per row; shorter is better for us/op, longer for ops/ms)",
        docs.resolve("performance.png"));
    String markdown =
        new PerformanceReport(measurements, before, after, reportOnly ? null : took, notes())
            .toMarkdown();
    Files.writeString(docs.resolve("PERFORMANCE.md"), markdown, StandardCharsets.UTF_8);
    System.out.println("wrote " + docs.resolve("PERFORMANCE.md") + " and " + docs.resolve("performance.png"));
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value");
    }
    return args[i];
  }

  private static void run(@Nullable String include, Path result) throws RunnerException, IOException {
    Path parent = result.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    OptionsBuilder options = new OptionsBuilder();
    if (include != null) {
      options.include(include);
    } else {
      for (Class<?> benchmark : BENCHMARKS) {
        options.include("\\." + benchmark.getSimpleName() + "\\.");
      }
    }
    Options built =
        options
            // Bytes allocated per operation, for the report's allocation table.
            .addProfiler(GCProfiler.class)
            .resultFormat(ResultFormatType.JSON)
            .result(result.toString())
            .shouldFailOnError(true)
            .build();
    new Runner(built).run();
  }

  /** The hand-written part of the report (profile findings, changes), from the class path. */
  private static String notes() throws IOException {
    try (var in = Suite.class.getResourceAsStream("performance-notes.md")) {
      if (in == null) {
        return "";
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The machine and its load, for the report's header. */
  record Machine(int cores, String cpu, String jdk, String os, String loadAverage) {

    static Machine now() {
      return new Machine(
          Runtime.getRuntime().availableProcessors(),
          cpuModel(),
          Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
          System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
          firstLine(Path.of("/proc/loadavg")));
    }

    private static String cpuModel() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
          if (line.startsWith("model name")) {
            return line.substring(line.indexOf(':') + 1).trim();
          }
        }
      } catch (IOException e) {
        // Not Linux: the report says unknown.
      }
      return "unknown";
    }

    private static String firstLine(Path file) {
      try {
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        return lines.isEmpty() ? "unknown" : lines.getFirst();
      } catch (IOException e) {
        return "unknown";
      }
    }
  }
}
