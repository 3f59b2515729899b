package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
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
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;
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
 * Instantiation of a module that imports its memory (the {@code imported} shape): emscripten's
 * QuickJS from npm ({@code @jitl/quickjs-wasmfile-release-sync} 0.32.0; 256 initial pages, 93
 * active data segments), instantiated and closed ({@code instantiateClose}), or instantiated, four
 * pages written by the host (one i32 into each of the first four pages) and closed ({@code
 * instantiateTouchClose}), per memory: {@code pooled-linux} and {@code pooled-portable} import a
 * memory from the pool ({@code PooledWasmModule.importedMemory}); {@code chicory-bytebuffer} and
 * {@code chicory-bytearray} import a new memory of Chicory's, as a host without wasmpool does; {@code
 * chicory-floor} imports one memory built once that costs nothing ({@link FloorMemory}). Nothing
 * runs in the instance; its host functions are never called.
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * ImportedMemoryBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}).
 */
// JMH sets the @Param field, and @Setup the others, before any benchmark method runs.
@SuppressWarnings("initialization.field.uninitialized")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class ImportedMemoryBenchmark {

  /** Pages the touch variant writes to. */
  static final int TOUCHED_PAGES = 4;

  /** The compared memory; see the class comment. */
  @Param({"pooled-linux", "pooled-portable", "chicory-bytebuffer", "chicory-bytearray", "chicory-floor"})
  public String memory;

  private WasmModule wasm;
  private HostFunction[] hosts;
  private MemoryLimits limits;
  private @Nullable Engine engine;
  private @Nullable PooledWasmModule module;
  private Function<MemoryLimits, Memory> memories;

  /** Parses the module and, for the pooled memories, loads it into an engine. */
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
    switch (memory) {
      case "pooled-linux", "pooled-portable" -> {
        Engine created = NpmQuickJs.engine(memory.substring("pooled-".length()));
        engine = created;
        module = PooledWasmModule.load(created, wasm);
      }
      case "chicory-bytebuffer" -> memories = ByteBufferMemory::new;
      case "chicory-bytearray" -> memories = ByteArrayMemory::new;
      case Subject.FLOOR -> {
        Memory built = new ByteArrayMemory(limits);
        build(built);
        FloorMemory floor = FloorMemory.of(built);
        memories = l -> floor;
      }
      default -> throw new IllegalArgumentException("memory must be one of " + Subject.MEMORIES + " (was " + memory + ")");
    }
  }

  /** Closes the module and engine, if any. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (module != null) {
      module.close();
    }
    if (engine != null) {
      engine.close();
    }
  }

  /**
   * Instantiate + close.
   *
   * @return the memory's size, so the instance is not dead code
   */
  @Benchmark
  public int instantiateClose() {
    PooledWasmModule pooled = module;
    if (pooled != null) {
      try (ImportedMemory imported = pooled.importedMemory(0);
          PooledInstance instance = instantiate(pooled, imported)) {
        return instance.memory().pages();
      }
    }
    return build(memories.apply(limits)).memory().pages();
  }

  /**
   * Instantiate, write one i32 into each of the first four pages from the host, close.
   *
   * @return the last value written
   */
  @Benchmark
  public int instantiateTouchClose() {
    PooledWasmModule pooled = module;
    if (pooled != null) {
      try (ImportedMemory imported = pooled.importedMemory(0);
          PooledInstance instance = instantiate(pooled, imported)) {
        return touch(instance.memory());
      }
    }
    return touch(build(memories.apply(limits)).memory());
  }

  private PooledInstance instantiate(PooledWasmModule pooled, ImportedMemory imported) {
    return pooled.instantiate(
        b -> b.withImportValues(ImportValues.builder().addFunction(hosts).addMemory(imported.importMemory()).build()));
  }

  /** Chicory's own instantiation with {@code imported} as the memory. */
  private Instance build(Memory imported) {
    return Instance.builder(wasm)
        .withImportValues(
            ImportValues.builder().addFunction(hosts).addMemory(new ImportMemory("a", "a", imported)).build())
        .build();
  }

  private static int touch(Memory memory) {
    for (int page = 0; page < TOUCHED_PAGES; page++) {
      memory.writeI32(page << 16, page + 1);
    }
    return TOUCHED_PAGES;
  }
}
