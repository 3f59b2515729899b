package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
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
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import dev.wasmpool.api.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
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

  /**
   * Host functions for the module's emscripten imports ({@code a.b} .. {@code a.t}), enough to
   * evaluate an expression: heap growth, stdout writes counted, a fixed clock; the rest answer as
   * emscripten's glue does for a program that does not use them, or fail if called.
   */
  static HostFunction[] emscriptenImports(WasmModule module) {
    List<HostFunction> functions = new ArrayList<>();
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imp = module.importSection().getImport(i);
      if (!(imp instanceof FunctionImport function)) {
        continue;
      }
      FunctionType type = module.typeSection().getType(function.typeIndex());
      String name = imp.name();
      functions.add(
          new HostFunction(
              imp.module(),
              name,
              type,
              (instance, args) -> {
                Memory memory = instance.memory();
                switch (name) {
                  case "k": { // emscripten_resize_heap(requested bytes)
                    long wanted = (Integer.toUnsignedLong((int) args[0]) + PAGE - 1) / PAGE;
                    long grow = wanted - memory.pages();
                    return new long[] {grow <= 0 || memory.grow((int) grow) >= 0 ? 1 : 0};
                  }
                  case "p": // emscripten_date_now
                    return new long[] {Double.doubleToRawLongBits(0.0)};
                  case "d": // fd_close
                    return new long[] {52};
                  case "o": // fd_seek
                    return new long[] {70};
                  case "c": { // fd_write(fd, iov, iovcnt, pnum)
                    int written = 0;
                    for (int k = 0; k < (int) args[2]; k++) {
                      written += memory.readInt((int) args[1] + 8 * k + 4);
                    }
                    memory.writeI32((int) args[3], written);
                    return new long[] {0};
                  }
                  case "e", "f": // environ_get, environ_sizes_get
                    if (name.equals("f")) {
                      memory.writeI32((int) args[0], 0);
                      memory.writeI32((int) args[1], 0);
                    }
                    return new long[] {0};
                  case "i": // shouldInterrupt
                    return new long[] {0};
                  default:
                    throw new UnsupportedOperationException("emscripten import a." + name + " is not provided");
                }
              }));
    }
    return functions.toArray(HostFunction[]::new);
  }

  /** Evaluates {@code script} in a new QuickJS runtime and context; returns the number. */
  static double eval(Instance instance, String script) {
    Memory memory = instance.memory();
    instance.export("u").apply(); // __wasm_call_ctors
    long runtime = instance.export("K").apply()[0]; // QTS_NewRuntime
    long context = instance.export("N").apply(runtime, 0)[0]; // QTS_NewContext(rt, default intrinsics)
    byte[] code = script.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int codePointer = (int) instance.export("v").apply(code.length + 1)[0]; // malloc
    memory.write(codePointer, code);
    memory.writeByte(codePointer + code.length, (byte) 0);
    int filename = (int) instance.export("v").apply(8)[0];
    memory.writeCString(filename, "eval.js");
    long value = instance.export("pa").apply(context, codePointer, code.length, filename, 0, 0)[0]; // QTS_Eval
    return Double.longBitsToDouble(instance.export("Z").apply(context, value)[0]); // QTS_GetFloat64
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
    HostFunction[] hosts = emscriptenImports(wasm);
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
