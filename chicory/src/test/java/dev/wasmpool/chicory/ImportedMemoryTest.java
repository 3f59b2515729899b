package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.EmscriptenQuickJs;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pooled memories for modules that import theirs: emscripten's QuickJS build from the npm registry
 * ({@code @jitl/quickjs-wasmfile-release-sync} 0.32.0) evaluates JavaScript with its imported memory
 * from the pool, as it does with Chicory's own memory.
 */
class ImportedMemoryTest {

  static List<String> backends() {
    return Pools.backends();
  }

  static WasmModule quickjs() throws IOException {
    try (InputStream in =
        ImportedMemoryTest.class.getResourceAsStream("/npm/quickjs-wasmfile-release-sync/emscripten-module.wasm")) {
      return Parser.parse(in.readAllBytes());
    }
  }

  /** Evaluates {@code script} in a new QuickJS runtime and context; returns the number. */
  static double eval(Instance instance, String script) {
    return EmscriptenQuickJs.eval(instance, EmscriptenQuickJs.newContext(instance), script);
  }

  private static Engine engine(String backend) {
    return Pools.engine(
        backend,
        p -> p.totalMemories(2).totalCoreInstances(4).totalTables(2).tableElements(1000).maxMemorySize(64L << 20),
        e -> e.memoryReservation(64L << 20));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void emscriptenQuickJs_runsOnAPooledImportedMemory_asOnChicorysOwn(String backend) throws IOException {
    WasmModule wasm = quickjs();
    HostFunction[] hosts = EmscriptenQuickJs.imports(wasm);
    String script = "let s = 0; for (let i = 1; i <= 10; i++) s += i * i; s / 5 + [1, 2, 3].length";
    Function<Memory, ImportValues> imports =
        memory -> ImportValues.builder().addFunction(hosts).addMemory(new ImportMemory("a", "a", memory)).build();
    double expected =
        eval(
            Instance.builder(wasm)
                .withImportValues(imports.apply(new com.dylibso.chicory.runtime.ByteArrayMemory(
                    new com.dylibso.chicory.wasm.types.MemoryLimits(256, 32768))))
                .build(),
            script);
    assertEquals(80.0, expected);

    try (Engine engine = engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, wasm)) {
      assertEquals(0, module.pooledModule().descriptor().memories().size(), "the module defines no memory");
      Memory stale;
      int heap;
      try (ImportedMemory memory = module.importedMemory(0);
          PooledInstance instance = module.instantiate(b -> b.withImportValues(
              ImportValues.builder().addFunction(hosts).addMemory(memory.importMemory()).build()))) {
        assertInstanceOf(PooledMemory.class, instance.memory());
        assertEquals(1, engine.metrics().memories(), "the imported memory is a pool slot");
        assertEquals(expected, eval(instance.instance(), script));
        stale = memory.memory();
        heap = (int) instance.export("v").apply(16)[0];
        stale.writeI32(heap, 0x5ec3e7);
      }
      assertEquals(0, engine.metrics().memories());
      assertThrows(IllegalStateException.class, () -> stale.readInt(heap));
      try (ImportedMemory memory = module.importedMemory(0)) {
        assertEquals(0, memory.memory().readInt(heap), "the previous tenant's heap is gone");
        try (PooledInstance instance = module.instantiate(b -> b.withImportValues(
            ImportValues.builder().addFunction(hosts).addMemory(memory.importMemory()).build()))) {
          assertEquals(expected, eval(instance.instance(), script), "the data is in place again");
        }
      }
      String hostName = module.name() + " import a.a";
      assertTrue(engine.metrics().unusedWarmMemories() >= 1, "the slot went back warm, for " + hostName);
    }
  }
}
