package dev.wasmpool.bench;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scaling where the slot choice matters: eight separately loaded copies of the {@code medium}
 * {@link ModuleShape} in one engine, each instantiation for a module picked at random per call, by
 * one thread and then by two threads at once, in operations per millisecond summed over the
 * threads. With the pool's defaults most instantiations find a slot affine to their module (the
 * seed's first rule) left by either thread; the others take the least recently used warm slot or
 * a cold one, which costs an image remap.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * EightModulesBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}).
 */
// JMH sets the @Param field, and @Setup the subjects, before any benchmark method runs.
@SuppressWarnings({"initialization.field.uninitialized", "initialization.fields.uninitialized"})
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = BenchSettings.CONCURRENCY_FORKS, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class EightModulesBenchmark {

  /** The number of modules. */
  static final int MODULES = 8;

  /** The compared memory; see {@link Subject}. */
  @Param({"pooled-linux", "chicory-bytearray"})
  public String memory;

  private List<Subject> modules;

  /** Creates the state; JMH fills it in. */
  public EightModulesBenchmark() {}

  /** Loads the eight modules, once for all threads. */
  @Setup(Level.Trial)
  public void setUp() {
    modules = Subject.openMany(memory, ModuleShape.MEDIUM.wasm(), MODULES, false);
  }

  /** Closes the modules and the engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    for (int i = modules.size() - 1; i >= 0; i--) {
      modules.get(i).close();
    }
  }

  /**
   * Instantiate and close a random module's instance on one thread.
   *
   * @return the instance's size in pages
   */
  @Benchmark
  @Threads(1)
  public int oneThread() {
    return instantiateClose();
  }

  /**
   * Instantiate and close a random module's instance on each of two threads.
   *
   * @return the instance's size in pages
   */
  @Benchmark
  @Threads(2)
  public int twoThreads() {
    return instantiateClose();
  }

  private int instantiateClose() {
    Subject module = modules.get(ThreadLocalRandom.current().nextInt(MODULES));
    try (Subject.Tenant tenant = module.instantiate()) {
      return tenant.instance().memory().initialPages();
    }
  }
}
