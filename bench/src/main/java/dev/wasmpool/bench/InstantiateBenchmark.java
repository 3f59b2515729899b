package dev.wasmpool.bench;

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
 * Instantiation cost: create an instance of a {@link ModuleShape} and close it, per memory.
 *
 * <p>Workload: {@code small} (1 page, 16 B of data), {@code medium} (17 pages, 64 KiB) and {@code
 * large} (256 pages, 4 MiB), {@code segments} (20 pages, 4,000 active segments of 8 bytes) and
 * {@code one_segment} (the same memory with one of them), maximum 65536 pages; nothing runs in the
 * instance. Pooled memories
 * reuse the module's warm slot (its image still mapped) and reset it on close; Chicory's memories
 * allocate, zero and copy the data on every instantiation.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * InstantiateBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}); the whole
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
public class InstantiateBenchmark {

  /** The compared memory; see {@link Subject}. */
  @Param({"pooled-linux", "pooled-portable", "chicory-bytebuffer", "chicory-bytearray"})
  public String memory;

  /** The module shape. */
  @Param({"small", "medium", "large", "segments", "one_segment"})
  public String shape;

  private Subject subject;

  /** Loads the module for the memory. */
  @Setup(Level.Trial)
  public void setUp() {
    subject = Subject.open(memory, ModuleShape.valueOf(shape.toUpperCase(java.util.Locale.ROOT)).wasm(), false);
  }

  /** Closes the engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    subject.close();
  }

  /**
   * One instantiation and close.
   *
   * @return the closed instance's size in pages, so the instance is not dead code
   */
  @Benchmark
  public int instantiateClose() {
    try (Subject.Tenant tenant = subject.instantiate()) {
      return tenant.instance().memory().initialPages();
    }
  }
}
