package dev.wasmpool.samples;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * The main sample: a multi-tenant request handler.
 *
 * <p>Each tenant is a WebAssembly module with its own memory size and data. Every request creates a
 * fresh instance of its tenant's module, calls {@code handle(seed)} and throws the instance away,
 * which is how a server isolates requests from each other. The sample serves the same requests
 * twice: with instances whose memories come from a wasmpool engine's pool (instantiate, call,
 * close), and with Chicory's default allocation (a new heap memory per instance, the data segment
 * copied in every time), both warmed first and then measured in alternating rounds. It prints throughput, latency percentiles, heap allocation and the pool's
 * metrics side by side. Every response is checked: a fresh instance must answer exactly what the
 * tenant's data and the argument imply, so a slot that kept a previous tenant's bytes would show as
 * a wrong response.
 *
 * <pre>
 * mvn -B -ntp -q -DskipTests -Prun-sample package -pl samples -am
 * mvn -B -ntp -q -DskipTests -Prun-sample package -pl samples -am -Dsample.args="--requests=50000 --threads=2"
 * </pre>
 *
 * <p>See {@link SampleOptions#USAGE} for the arguments.
 */
public final class Main {

  private Main() {}

  /**
   * Runs the sample; exits with status 1 if any response was wrong and 2 on a bad argument.
   *
   * @param args see {@link SampleOptions#USAGE}
   */
  public static void main(String[] args) {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(SampleOptions.USAGE);
      return;
    }
    SampleOptions options;
    try {
      options = SampleOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(SampleOptions.USAGE);
      System.exit(2);
      return;
    }
    Comparison result = run(options, System.out, Progress.standardOutputIsTerminal());
    if (!result.allResponsesRight()) {
      System.err.println("some responses were wrong: see the table above");
      System.exit(1);
    }
  }

  /** Measured rounds: each serves a slice of the requests with both handlers, in turn. */
  static final int ROUNDS = 6;

  /**
   * Serves the requests both ways and prints the comparison, with progress drawn as a terminal
   * line if standard output is one.
   *
   * @param options the workload's size and the backend
   * @param out where the progress and the table go
   * @return what both runs measured
   */
  static Comparison run(SampleOptions options, PrintStream out) {
    return run(options, out, Progress.standardOutputIsTerminal());
  }

  /**
   * Serves the requests both ways and prints the comparison.
   *
   * <p>Fair to both: each handler is warmed before either is measured (they share Chicory's
   * interpreter, which the first to run would otherwise warm for the second), and the measured
   * requests are served in {@link #ROUNDS} rounds, each giving the same slice of requests to both
   * handlers, the one that goes first alternating, so that neither gains from running later or
   * earlier in the JVM's life.
   *
   * @param options the workload's size and the backend
   * @param out where the progress and the table go
   * @param terminal whether {@code out} is a terminal (progress redrawn in place) or not (a line
   *     per phase, and at most one every few seconds in between)
   * @return what both runs measured
   */
  static Comparison run(SampleOptions options, PrintStream out, boolean terminal) {
    List<Tenant> tenants = IntStream.range(0, options.modules()).mapToObj(Tenant::of).toList();
    List<WasmModule> parsed = tenants.stream().map(t -> Parser.parse(t.wasm())).toList();
    int warmup = Math.min(options.requests(), Math.max(500, options.requests() / 10));
    Workload workload = new Workload(tenants, options.threads(), new Progress(out, terminal));

    out.printf(
        Locale.ROOT,
        "wasmpool multi-tenant request handler on Java %s: %,d requests over %d tenant modules, %d"
            + " threads%n",
        Runtime.version(),
        options.requests(),
        options.modules(),
        options.threads());
    out.println(
        "  tenants: 1, 4, 17, 64 pages with 1, 16, 64, 256 KiB of data; a request = instantiate +"
            + " handle(seed) + close");

    EngineConfig config = engineConfig(options, tenants);
    RunResult pooled;
    RunResult plain;
    PoolMetrics metrics;
    String backend;
    try (Engine engine = Engine.create(config)) {
      backend = engine.backendName();
      out.println("  engine: backend " + backend + ", " + config.allocationStrategy());
      List<PooledWasmModule> modules = new ArrayList<>();
      try {
        for (int i = 0; i < tenants.size(); i++) {
          modules.add(PooledWasmModule.builder(engine, parsed.get(i)).withName(tenants.get(i).name()).build());
        }
        RequestHandler wasmpool =
            (tenant, seed) -> {
              try (PooledInstance instance = modules.get(tenant).instantiate()) {
                return (int) instance.export("handle").apply(seed)[0];
              }
            };
        RequestHandler chicory =
            (tenant, seed) -> {
              Instance instance = Instance.builder(parsed.get(tenant)).build();
              return (int) instance.export("handle").apply(seed)[0];
            };
        // Warm-up requests are numbered after the measured ones: the same mix, not the same requests.
        int requests = options.requests();
        workload.run("wasmpool warm-up", requests, requests + warmup, wasmpool, null);
        workload.run("Chicory warm-up", requests, requests + warmup, chicory, null);
        List<RunResult> pooledRounds = new ArrayList<>();
        List<RunResult> plainRounds = new ArrayList<>();
        int rounds = Math.min(ROUNDS, requests);
        for (int round = 0; round < rounds; round++) {
          int from = (int) ((long) requests * round / rounds);
          int to = (int) ((long) requests * (round + 1) / rounds);
          String tag = String.format(Locale.ROOT, "round %d/%d ", round + 1, rounds);
          System.gc(); // each round starts without the previous one's garbage
          if (round % 2 == 0) {
            pooledRounds.add(workload.run(tag + "wasmpool", from, to, wasmpool, () -> engine.metrics().coreInstances()));
            plainRounds.add(workload.run(tag + "Chicory", from, to, chicory, null));
          } else {
            plainRounds.add(workload.run(tag + "Chicory", from, to, chicory, null));
            pooledRounds.add(workload.run(tag + "wasmpool", from, to, wasmpool, () -> engine.metrics().coreInstances()));
          }
        }
        pooled = RunResult.combine(pooledRounds);
        plain = RunResult.combine(plainRounds);
        metrics = engine.metrics();
      } finally {
        modules.forEach(PooledWasmModule::close);
      }
    }

    out.println();
    Report.print(out, backend, pooled, plain, metrics);
    out.printf(
        Locale.ROOT,
        "%n  throughput, wasmpool / Chicory default: %.2fx%n",
        pooled.throughput() / plain.throughput());
    return new Comparison(backend, pooled, plain, metrics);
  }

  /**
   * The engine the sample uses: a pool sized for the workload rather than Wasmtime's 1000-slot
   * defaults. Each memory may grow to twice its tenant's initial size, so the largest of those is
   * both the pool's {@code maxMemorySize} and the engine's {@code memoryReservation}; 64 KiB of
   * each slot stay resident between tenants, which the metrics then report.
   */
  static EngineConfig engineConfig(SampleOptions options, List<Tenant> tenants) {
    long largest = 2 * tenants.stream().mapToLong(Tenant::memoryBytes).max().orElse(Tenant.PAGE);
    int slots = Math.max(32, options.modules() + 4 * options.threads());
    PoolingAllocationConfig pool =
        PoolingAllocationConfig.builder()
            .totalCoreInstances(slots)
            .totalMemories(slots)
            .totalTables(slots)
            .maxMemorySize(largest)
            .linearMemoryKeepResident(64 << 10)
            .build();
    return EngineConfig.builder()
        .allocationStrategy(AllocationStrategy.pooling(pool))
        .memoryReservation(largest)
        .backend(options.backend())
        .build();
  }
}
