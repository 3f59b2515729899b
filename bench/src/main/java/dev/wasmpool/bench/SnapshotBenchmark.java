package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportValues;
import dev.wasmpool.api.Engine;
import dev.wasmpool.chicory.ImportedMemory;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import dev.wasmpool.testkit.EmscriptenQuickJs;
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
 * One JavaScript request on emscripten's QuickJS from npm ({@code
 * @jitl/quickjs-wasmfile-release-sync} 0.32.0), with and without a preinitialized snapshot. A
 * request takes a fresh instance (and its imported memory) from a Linux-backed pool, evaluates
 * {@value #SCRIPT} and closes the instance. {@code fresh} runs the module's constructors and creates
 * a JavaScript runtime and context first, as every request must without a snapshot ({@code
 * freshAndFree} also frees them at the end, the request the issue measured); {@code snapshot} starts from the state {@code PooledWasmModule.Builder.preinitialize} captured after
 * those steps, so it only evaluates; {@code snapshotInstance} takes and closes such an instance without
 * evaluating, the part of a snapshot request that is not the script. Both paths give the same
 * result (checked at setup). {@code machine}
 * runs the guest on Chicory's runtime compiler (compiled once per module at setup) or on its
 * interpreter.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * SnapshotBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}).
 */
// JMH calls @Setup before any benchmark method runs.
@SuppressWarnings("initialization.field.uninitialized")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// Compiled QuickJS needs about 10 s before the JIT settles: longer than the suite's default warm-up.
@Warmup(iterations = 8, time = 2, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 2, timeUnit = TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class SnapshotBenchmark {

  /** The script of every request. */
  static final String SCRIPT = "let s = 0; for (let i = 1; i <= 10; i++) s += i * i; s / 5 + [1, 2, 3].length";

  /** The machine guest code runs on. */
  @Param({"compiler", "interpreter"})
  public String machine;

  private HostFunction[] hosts;
  private Engine engine;
  private PooledWasmModule plain;
  private PooledWasmModule preinitialized;

  /** The context the snapshot's instances find ready, created on the template. */
  private EmscriptenQuickJs.Context context;

  /** Loads the module twice, as it is and preinitialized, and checks that both answer alike. */
  @Setup(Level.Trial)
  public void setUp() {
    hosts = EmscriptenQuickJs.imports(NpmQuickJs.module());
    engine = NpmQuickJs.engine();
    plain = builder("quickjs").build();
    preinitialized =
        builder("quickjs-snapshot")
            .preinitialize(
                ImportValues.builder().addFunction(hosts).build(),
                template -> context = EmscriptenQuickJs.newContext(template))
            .build();
    double expected = fresh();
    double actual = snapshot();
    if (expected != actual || expected != freshAndFree() || expected != 80.0) {
      throw new IllegalStateException("the snapshot answers " + actual + ", the fresh path " + expected);
    }
  }

  private PooledWasmModule.Builder builder(String name) {
    PooledWasmModule.Builder builder = PooledWasmModule.builder(engine, NpmQuickJs.module()).withName(name);
    return machine.equals("compiler") ? builder.withCompiler() : builder;
  }

  /** Closes the modules and engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    plain.close();
    preinitialized.close();
    engine.close();
  }

  /**
   * A request without a snapshot: a fresh instance creates its runtime and context, then evaluates.
   *
   * @return the script's value
   */
  @Benchmark
  public double fresh() {
    try (ImportedMemory memory = plain.importedMemory(0);
        PooledInstance instance = plain.instantiate(imports(memory), null)) {
      return EmscriptenQuickJs.eval(instance.instance(), EmscriptenQuickJs.newContext(instance.instance()), SCRIPT);
    }
  }

  /**
   * A request without a snapshot as the issue measured it: as {@link #fresh()}, then the context and
   * runtime are freed, as a host that reuses nothing still tidies up.
   *
   * @return the script's value
   */
  @Benchmark
  public double freshAndFree() {
    try (ImportedMemory memory = plain.importedMemory(0);
        PooledInstance instance = plain.instantiate(imports(memory), null)) {
      EmscriptenQuickJs.Context created = EmscriptenQuickJs.newContext(instance.instance());
      double value = EmscriptenQuickJs.eval(instance.instance(), created, SCRIPT);
      EmscriptenQuickJs.free(instance.instance(), created);
      return value;
    }
  }

  /**
   * A request on a fresh instance of the snapshot: the runtime and context are there already.
   *
   * @return the script's value
   */
  @Benchmark
  public double snapshot() {
    try (ImportedMemory memory = preinitialized.importedMemory(0);
        PooledInstance instance = preinitialized.instantiate(imports(memory), null)) {
      return EmscriptenQuickJs.eval(instance.instance(), context, SCRIPT);
    }
  }

  /**
   * What a request from the snapshot pays besides its script: a fresh instance of the snapshot
   * (and its imported memory) taken and closed, no script run. {@link #snapshot()} minus this is
   * the script's own cost, which no instantiation can save.
   *
   * @return the instance's memory size in pages
   */
  @Benchmark
  public int snapshotInstance() {
    try (ImportedMemory memory = preinitialized.importedMemory(0);
        PooledInstance instance = preinitialized.instantiate(imports(memory), null)) {
      return instance.instance().memory().pages();
    }
  }

  private ImportValues imports(ImportedMemory memory) {
    return ImportValues.builder().addFunction(hosts).addMemory(memory.importMemory()).build();
  }
}
