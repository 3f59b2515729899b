package dev.wasmpool.samples;

import com.dylibso.chicory.wasm.Parser;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import dev.wasmpool.samples.counting.CountingBackendProvider;
import dev.wasmpool.samples.counting.OperationStats;
import java.io.PrintStream;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The custom backend sample: the same engine as the request-handler sample, on the {@code
 * "counting"} backend plugin ({@link CountingBackendProvider}), which wraps the real backend and
 * counts every operation the pool asks of it. The table it prints shows what the pool does to
 * memory: reservations once at start, images once per module, and per request only resets (and
 * protection changes when a memory's size differs from the slot's last tenant).
 *
 * <pre>
 * mvn -B -ntp -q -DskipTests -Prun-sample package -pl samples -am \
 *     -Dsample.main=dev.wasmpool.samples.BackendPluginSample
 * </pre>
 */
public final class BackendPluginSample {

  private BackendPluginSample() {}

  /**
   * Runs the sample.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    run(4, 1000, System.out);
  }

  /**
   * Serves {@code requests} requests over {@code modules} tenants on the counting backend and
   * prints the operations it counted.
   *
   * @param modules tenant modules
   * @param requests requests, spread round-robin over the tenants
   * @param out where to print
   * @return what the counting backend counted during the run
   * @throws IllegalStateException if a response is wrong
   */
  static OperationStats.Snapshot run(int modules, int requests, PrintStream out) {
    List<Tenant> tenants = IntStream.range(0, modules).mapToObj(Tenant::of).toList();
    SampleOptions options =
        new SampleOptions(requests, modules, 1, CountingBackendProvider.NAME);
    EngineConfig config = Main.engineConfig(options, tenants);
    OperationStats.Snapshot before = OperationStats.snapshot();
    try (Engine engine = Engine.create(config)) {
      out.println("backend: " + engine.backendName() + " (" + new CountingBackendProvider().support().reason() + ")");
      List<PooledWasmModule> loaded =
          tenants.stream().map(t -> PooledWasmModule.load(engine, Parser.parse(t.wasm()))).toList();
      try {
        for (int r = 0; r < requests; r++) {
          Tenant tenant = tenants.get(r % modules);
          try (PooledInstance instance = loaded.get(r % modules).instantiate()) {
            int response = (int) instance.export("handle").apply(r)[0];
            if (response != tenant.expected(r)) {
              throw new IllegalStateException(tenant.name() + " answered " + response + " to request " + r);
            }
          }
        }
      } finally {
        loaded.forEach(PooledWasmModule::close);
      }
    }
    OperationStats.Snapshot during = OperationStats.snapshot().since(before);
    out.printf("%d requests over %d tenants; backend operations, engine start to close:%n", requests, modules);
    out.println(during.table());
    return during;
  }
}
