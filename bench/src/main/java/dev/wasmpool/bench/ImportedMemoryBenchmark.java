package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.Engine;
import dev.wasmpool.chicory.ImportedMemory;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Instantiation of a module that imports its memory (the {@code imported} shape): emscripten's
 * QuickJS from npm ({@code @jitl/quickjs-wasmfile-release-sync} 0.32.0; 256 initial pages, 93
 * active data segments), instantiated and closed with its imported memory from the pool ({@code
 * pooled}), against Chicory's default, a new {@code ByteBufferMemory} per instance ({@code
 * chicory}). Nothing runs in the instance; its host functions are never called.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * ImportedMemoryBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}).
 */
// JMH calls @Setup before any benchmark method runs.
@SuppressWarnings("initialization.field.uninitialized")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class ImportedMemoryBenchmark {

  private WasmModule wasm;
  private HostFunction[] hosts;
  private MemoryLimits limits;
  private Engine engine;
  private PooledWasmModule module;

  /** Parses the module and loads it into a Linux-backed engine. */
  @Setup(Level.Trial)
  public void setUp() {
    wasm = NpmQuickJs.module();
    List<HostFunction> functions = new ArrayList<>();
    for (int i = 0; i < wasm.importSection().importCount(); i++) {
      Import imp = wasm.importSection().getImport(i);
      if (imp instanceof FunctionImport f) {
        functions.add(
            new HostFunction(
                imp.module(),
                imp.name(),
                wasm.typeSection().getType(f.typeIndex()),
                (instance, args) -> {
                  throw new UnsupportedOperationException("not called by instantiation");
                }));
      } else if (imp instanceof MemoryImport m) {
        limits = m.limits();
      }
    }
    hosts = functions.toArray(HostFunction[]::new);
    engine = NpmQuickJs.engine();
    module = PooledWasmModule.load(engine, wasm);
  }

  /** Closes the module and engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    module.close();
    engine.close();
  }

  /**
   * Instantiate + close with the imported memory (and the table) from the pool.
   *
   * @return the memory's size, so the instance is not dead code
   */
  @Benchmark
  public int pooled() {
    try (ImportedMemory memory = module.importedMemory(0);
        PooledInstance instance =
            module.instantiate(
                b -> b.withImportValues(
                    ImportValues.builder().addFunction(hosts).addMemory(memory.importMemory()).build()))) {
      return instance.memory().pages();
    }
  }

  /**
   * Instantiate with Chicory's default memory, as a host without wasmpool does.
   *
   * @return the memory's size
   */
  @Benchmark
  public int chicory() {
    Instance instance =
        Instance.builder(wasm)
            .withImportValues(
                ImportValues.builder()
                    .addFunction(hosts)
                    .addMemory(new ImportMemory("a", "a", new ByteBufferMemory(limits)))
                    .build())
            .build();
    return instance.memory().pages();
  }
}
