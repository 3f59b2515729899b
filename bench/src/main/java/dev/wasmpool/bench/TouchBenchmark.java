package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Instantiation with a little work: create an instance of the {@code medium} {@link ModuleShape}
 * (17 pages, 64 KiB of data), call {@code touch(4)} (one i32 store into each of the first four
 * pages, so four pages become dirty and must be reset), and close it, per memory.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * TouchBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}); the whole
 * suite and its report: {@code mvn -B -ntp -q -DskipTests -Prun-bench package -pl bench -am}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class TouchBenchmark extends MediumModuleState {

  /** Pages {@code touch} writes to. */
  static final int TOUCHED_PAGES = 4;

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
