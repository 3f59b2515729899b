package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import java.util.Locale;
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
 * Instantiation with a little work: create an instance of a {@link ModuleShape} ({@code medium}:
 * 17 pages, 64 KiB of data; {@code segments}: 20 pages, 4,000 segments; {@code image16m}: 270
 * pages, 16 MiB), call {@code touch(4)} (one i32 store into each of the first four pages, so four
 * pages become dirty and must be reset), and close it, per memory.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * TouchBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}); the whole
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
public class TouchBenchmark {

  /** Pages {@code touch} writes to. */
  static final int TOUCHED_PAGES = 4;

  /** The compared memory; see {@link Subject}. */
  @Param({"pooled-linux", "pooled-portable", "chicory-bytebuffer", "chicory-bytearray"})
  public String memory;

  /** The module shape. */
  @Param({"medium", "segments", "image16m"})
  public String shape;

  private Subject subject;

  /** Loads the module for the memory. */
  @Setup(Level.Trial)
  public void setUp() {
    subject = Subject.open(memory, ModuleShape.valueOf(shape.toUpperCase(Locale.ROOT)).wasm(), false);
  }

  /** Closes the engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    subject.close();
  }

  /**
   * One instantiation, {@code touch(4)} and close.
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
