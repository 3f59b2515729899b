package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reset cost against memory size: the {@code small} module (16 B of data) with an initial memory
 * of 1, 64, 1024 or 4096 pages (64 KiB to 256 MiB); each operation instantiates it, calls {@code
 * touch(1)} and closes it. Every size touches the same page (DESIGN.md: "same touched pages"; a
 * 1-page memory cannot hold the four pages of {@code touch(4)}, which {@link TouchBenchmark}
 * measures), so the series isolates what the memory's size costs. A pooled slot's reset should not
 * depend on how large the memory is, only on what was written; Chicory allocates and zeroes the
 * whole memory every time.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * ResetCostBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}); the whole
 * suite and its report: {@code mvn -B -ntp -q -DskipTests -Prun-bench package -pl bench -am}.
 */
// JMH sets the @Param fields, and @Setup the others, before any benchmark method runs.
@SuppressWarnings("initialization.field.uninitialized")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class ResetCostBenchmark {

  /** The compared memory; see {@link Subject}. */
  @Param({"pooled-linux", "pooled-portable", "chicory-bytebuffer", "chicory-bytearray"})
  public String memory;

  /** The memory's initial size in pages. */
  @Param({"1", "64", "1024", "4096"})
  public int pages;

  /** Pages {@code touch} writes to, at every size. */
  static final int TOUCHED_PAGES = 1;

  private Subject subject;

  /** Loads the module for the memory. */
  @Setup(Level.Trial)
  public void setUp() {
    subject = Subject.open(memory, ModuleShape.SMALL.withInitialPages(pages), false);
  }

  /** Closes the engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    subject.close();
  }

  /**
   * One instantiation, {@code touch(1)} and close.
   *
   * @return what {@code touch} returned
   */
  @Benchmark
  public long instantiateTouchClose() {
    try (Subject.Tenant tenant = subject.instantiate()) {
      ExportFunction touch = tenant.instance().export("touch");
      return touch.apply(TOUCHED_PAGES)[0];
    }
  }
}
