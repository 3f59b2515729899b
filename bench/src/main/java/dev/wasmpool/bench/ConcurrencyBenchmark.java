package dev.wasmpool.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scaling: instances of the {@code medium} {@link ModuleShape} (17 pages, 64 KiB of data) created
 * and closed by one thread, then by two threads at once from the same engine and module, in
 * operations per millisecond summed over the threads. The report divides the two-thread
 * throughput by the one-thread throughput per memory.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * ConcurrencyBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}); the
 * whole suite and its report: {@code mvn -B -ntp -q -DskipTests -Prun-bench package -pl bench
 * -am}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = BenchSettings.CONCURRENCY_FORKS, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class ConcurrencyBenchmark extends MediumModuleState {

  /**
   * Instantiate and close on one thread.
   *
   * @return the instance's size in pages
   */
  @Benchmark
  @Threads(1)
  public int oneThread() {
    return instantiateClose();
  }

  /**
   * Instantiate and close on each of two threads.
   *
   * @return the instance's size in pages
   */
  @Benchmark
  @Threads(2)
  public int twoThreads() {
    return instantiateClose();
  }

  private int instantiateClose() {
    try (Subject.Tenant tenant = subject.instantiate()) {
      return tenant.instance().memory().initialPages();
    }
  }
}
