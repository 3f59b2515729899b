package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.wasm.Parser;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
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
 * What switching protection-key rights costs: one call into a trivial export ({@code x -> x + 1},
 * one page of memory) of a pooled instance on the {@code linux} backend, with {@code
 * memoryProtectionKeys} {@code DISABLE} ({@code off}: no switch installed) against {@code ENABLE}
 * ({@code on}: four stripes; the call reads and writes the rights register on entry and exit).
 *
 * <p>{@code on} needs a CPU with PKU; elsewhere its set-up fails with "mpk is disabled on this
 * system". This machine has none, so the pair runs under QEMU's emulated PKU ({@code
 * scripts/mpk-emulator.sh -- java ... -jar bench/target/benchmarks.jar MpkSwitchBenchmark}): there
 * only the ratio means anything, since emulation changes the cost of every instruction; absolute
 * figures need real hardware.
 */
@SuppressWarnings("initialization.field.uninitialized") // JMH fills the fields before use
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS})
public class MpkSwitchBenchmark {

  private static final long PAGE = 65536;

  /** {@code off}: DISABLE; {@code on}: ENABLE. */
  @Param({"off", "on"})
  public String mpk;

  private Engine engine;
  private PooledWasmModule module;
  private PooledInstance instance;
  private ExportFunction increment;
  private int argument;

  /** Creates the engine (four stripes when {@code on}) and one instance. */
  @Setup(Level.Trial)
  public void setUp() {
    PoolingAllocationConfig pool =
        PoolingAllocationConfig.builder()
            .totalMemories(8)
            .totalCoreInstances(8)
            .totalTables(0)
            .maxTablesPerModule(0)
            .maxMemorySize(PAGE)
            .memoryProtectionKeys(mpk.equals("on") ? MemoryProtectionKeys.ENABLE : MemoryProtectionKeys.DISABLE)
            .maxMemoryProtectionKeys(4)
            .build();
    engine =
        Engine.create(
            EngineConfig.builder()
                .backend("linux")
                .memoryReservation(PAGE)
                .memoryGuardSize(3 * PAGE)
                .allocationStrategy(AllocationStrategy.pooling(pool))
                .build());
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    int unary = b.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    b.exportFunction("increment", b.function(unary, new Code().localGet(0).i32Const(1).i32Add()));
    byte[] wasm = b.build();
    module = PooledWasmModule.load(engine, Parser.parse(wasm));
    instance = module.instantiate();
    if (instance.allocation().guestRights().restricts() != mpk.equals("on")) {
      throw new IllegalStateException("mpk=" + mpk + " but rights " + instance.allocation().guestRights());
    }
    increment = instance.export("increment");
  }

  /** Closes the instance, the module and the engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    instance.close();
    module.close();
    engine.close();
  }

  /**
   * One call into guest code and back.
   *
   * @return the export's result
   */
  @Benchmark
  public long call() {
    return increment.apply(argument++)[0];
  }
}
