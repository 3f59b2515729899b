package dev.wasmpool.endive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import io.roastedroot.quickjs4j.core.JavyPluginModule;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import run.endive.runtime.Memory;
import run.endive.wasm.types.MemoryLimits;

/**
 * quickjs4j 0.1.0 (QuickJS compiled ahead of time for Endive) runs JavaScript per request with its
 * memory from the pool, through its own {@code Engine.Builder.withMemoryFactory} hook, and prints
 * what it prints on its default memory.
 */
class QuickJsTest {

  private static final long MIB = 1 << 20;

  /** Requests: each a fresh QuickJS instance, as a server would run untrusted scripts. */
  private static final List<String> SCRIPTS =
      List.of(
          "console.log(6 * 7)",
          "let s = 0; for (let i = 0; i < 100000; i++) { s += i % 7; } console.log(s)",
          "console.log(JSON.stringify([3, 1, 2].sort().map(x => ({x, sq: x * x}))))",
          "const big = 'ab'.repeat(200000); console.log(big.length, big.slice(-3))",
          "function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) } console.log(fib(20))");

  static List<String> backends() {
    List<String> names = new ArrayList<>();
    if (OS.LINUX.isCurrentOs()) {
      names.add("linux");
    }
    names.add("portable");
    return names;
  }

  /** Runs one script on a fresh quickjs4j engine whose memory comes from {@code memories}. */
  private static String run(String script, Function<MemoryLimits, Memory> memories) {
    try (io.roastedroot.quickjs4j.core.Engine js =
        io.roastedroot.quickjs4j.core.Engine.builder().withMemoryFactory(memories).build()) {
      int code = js.compile(script);
      js.exec(code);
      js.free(code);
      return js.stdout();
    }
  }

  private static String runOnDefaultMemory(String script) {
    try (io.roastedroot.quickjs4j.core.Engine js = io.roastedroot.quickjs4j.core.Engine.builder().build()) {
      int code = js.compile(script);
      js.exec(code);
      js.free(code);
      return js.stdout();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void quickjs4j_perRequest_onPooledMemory_printsWhatItPrintsOnItsOwn(String backend) {
    List<String> expected = SCRIPTS.stream().map(QuickJsTest::runOnDefaultMemory).toList();
    EngineConfig config =
        EngineConfig.builder()
            .backend(backend)
            .memoryReservation(256 * MIB)
            .memoryGuardSize(0)
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder()
                        .totalMemories(2)
                        .maxMemorySize(256 * MIB)
                        .totalTables(2)
                        .tableElements(20_000)
                        .build()))
            .build();
    try (Engine engine = Engine.create(config);
        PooledEndiveModule quickjs = PooledEndiveModule.load(engine, JavyPluginModule.load(), "quickjs")) {
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < SCRIPTS.size(); i++) {
          String output;
          try (PooledResources resources = quickjs.resources()) {
            Memory[] made = new Memory[1];
            output =
                run(SCRIPTS.get(i), limits -> made[0] = resources.memoryFactory().apply(limits));
            assertInstanceOf(EndiveMemory.class, made[0], "the instance ran on a pooled memory");
            assertEquals(1, engine.metrics().memories());
          }
          System.out.printf("%s request %d.%d: %s", backend, round, i, output);
          assertEquals(expected.get(i), output, SCRIPTS.get(i));
          assertEquals(0, engine.metrics().memories(), "the slot went back to the pool");
        }
      }
      assertTrue(quickjs.pooledModule().descriptor().memories().size() == 1);
    }
  }
}
