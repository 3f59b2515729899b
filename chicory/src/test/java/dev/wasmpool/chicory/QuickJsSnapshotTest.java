package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.EmscriptenQuickJs;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real-world case for preinitialization: emscripten's QuickJS from the npm registry ({@code
 * @jitl/quickjs-wasmfile-release-sync} 0.32.0, which imports its memory), snapshotted after its
 * constructors ran and a JavaScript runtime and context were created. Each request evaluates one
 * script on a fresh instance of the snapshot and must give what the path without a snapshot gives
 * (a fresh instance that creates its own runtime and context).
 */
class QuickJsSnapshotTest {

  private static final List<String> SCRIPTS =
      List.of(
          "let s = 0; for (let i = 1; i <= 10; i++) s += i * i; s / 5 + [1, 2, 3].length",
          "JSON.stringify({a: [1, 2, {b: 'x'.repeat(40)}]}).length",
          "globalThis.counter = (globalThis.counter || 0) + 1; counter",
          "[5, 3, 9, 1].sort((a, b) => a - b).map(x => x * 2).reduce((a, b) => a * 10 + b, 0)",
          "new Map([[1, 'a'], [2, 'b']]).size + Math.max(...Array.from({length: 100}, (_, i) => i))");

  static List<String> backends() {
    return Pools.backends();
  }

  private static Engine engine(String backend) {
    return Pools.engine(
        backend,
        p -> p.totalMemories(2).totalCoreInstances(4).totalTables(2).tableElements(1000).maxMemorySize(64L << 20),
        e -> e.memoryReservation(64L << 20));
  }

  private static ImportValues imports(HostFunction[] hosts, ImportMemory memory) {
    return ImportValues.builder().addFunction(hosts).addMemory(memory).build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void snapshotAfterRuntimeAndContext_evaluatesAsTheFreshPath(String backend) throws IOException {
    WasmModule wasm = ImportedMemoryTest.quickjs();
    HostFunction[] hosts = EmscriptenQuickJs.imports(wasm);
    double[] expected = new double[SCRIPTS.size()];
    for (int i = 0; i < expected.length; i++) {
      Memory own = new com.dylibso.chicory.runtime.ByteArrayMemory(new MemoryLimits(256, 32768));
      Instance fresh =
          Instance.builder(wasm)
              .withImportValues(imports(hosts, new ImportMemory(EmscriptenQuickJs.MEMORY_MODULE, EmscriptenQuickJs.MEMORY_NAME, own)))
              .build();
      expected[i] = EmscriptenQuickJs.eval(fresh, EmscriptenQuickJs.newContext(fresh), SCRIPTS.get(i));
    }
    assertEquals(80.0, expected[0]);
    assertEquals(1.0, expected[2]);

    EmscriptenQuickJs.Context[] context = new EmscriptenQuickJs.Context[1];
    try (Engine engine = engine(backend);
        PooledWasmModule quickjs =
            PooledWasmModule.builder(engine, ImportedMemoryTest.quickjs())
                .withName("quickjs")
                .preinitialize(
                    ImportValues.builder().addFunction(hosts).build(),
                    template -> context[0] = EmscriptenQuickJs.newContext(template))
                .build()) {
      assertEquals(0, engine.metrics().memories(), "the template's memory went back to the pool");
      assertTrue(quickjs.pooledModule().descriptor().memories().isEmpty(), "QuickJS imports its memory");
      // Each script twice: the second request runs on the slot the first one left, and must not
      // see its state (globalThis.counter stays 1).
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < SCRIPTS.size(); i++) {
          try (ImportedMemory memory = quickjs.importedMemory(0);
              PooledInstance instance = quickjs.instantiate(imports(hosts, memory.importMemory()), null)) {
            assertEquals(
                expected[i],
                EmscriptenQuickJs.eval(instance.instance(), context[0], SCRIPTS.get(i)),
                "script " + i + ", round " + round);
          }
        }
      }
    }
  }
}
