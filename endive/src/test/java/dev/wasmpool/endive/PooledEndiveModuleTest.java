package dev.wasmpool.endive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import org.junit.jupiter.api.Test;
import run.endive.runtime.Instance;
import run.endive.runtime.Memory;
import run.endive.runtime.TableInstance;
import run.endive.runtime.WasmRuntimeException;
import run.endive.wasm.Parser;
import run.endive.wasm.UninstantiableException;
import run.endive.wasm.WasmModule;
import run.endive.wasm.types.MemoryLimits;

/** The Endive binding's memories and tables: Endive's exceptions, images, resets, revocation. */
class PooledEndiveModuleTest {

  private static final long PAGE = 65536;

  /**
   * {@code (memory 1 2) (table 3 funcref) (export "m" (memory 0)) (data (i32.const 8) "hi")},
   * written out by hand.
   */
  private static final byte[] WASM = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x04, 0x04, 0x01, 0x70, 0x00, 0x03, // table section: funcref, min 3
    0x05, 0x04, 0x01, 0x01, 0x01, 0x02, // memory section: min 1, max 2
    0x07, 0x05, 0x01, 0x01, 'm', 0x02, 0x00, // export "m" memory 0
    0x0b, 0x08, 0x01, 0x00, 0x41, 0x08, 0x0b, 0x02, 'h', 'i' // data: i32.const 8, "hi"
  };

  private static Engine engine(String backend) {
    return Engine.create(
        EngineConfig.builder()
            .backend(backend)
            .memoryReservation(2 * PAGE)
            .memoryGuardSize(0)
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder()
                        .totalMemories(1)
                        .maxMemorySize(2 * PAGE)
                        .totalTables(1)
                        .tableElements(10)
                        .build()))
            .build());
  }

  @Test
  void memoriesAndTables_arePooled_withEndivesErrors_resetAndRevoked() {
    WasmModule module = Parser.parse(WASM);
    try (Engine engine = engine("portable");
        PooledEndiveModule pooled = PooledEndiveModule.load(engine, module, "tiny")) {
      assertTrue(pooled.pooledModule().hasImage(0));
      Memory stale;
      TableInstance staleTable;
      try (PooledResources resources = pooled.resources()) {
        Instance instance = resources.applyTo(Instance.builder(module)).build();
        Memory memory = instance.memory();
        assertInstanceOf(EndiveMemory.class, memory);
        assertInstanceOf(EndiveTable.class, instance.table(0));
        assertEquals("hi", memory.readString(8, 2));
        assertEquals(3, instance.table(0).size());
        WasmRuntimeException trap = assertThrows(WasmRuntimeException.class, () -> memory.readInt((int) PAGE - 2));
        assertTrue(trap.getMessage().startsWith("out of bounds memory access"), trap.getMessage());
        memory.writeString(0, "SECRET");
        assertEquals(1, memory.grow(1));
        assertEquals(-1, memory.grow(1));
        stale = memory;
        staleTable = instance.table(0);
      }
      assertThrows(IllegalStateException.class, () -> stale.read(0));
      assertThrows(IllegalStateException.class, () -> staleTable.ref(0));
      try (PooledResources next = pooled.resources()) {
        Instance instance =
            next.applyTo(Instance.builder(module)).withMemoryLimits(new MemoryLimits(2, 2)).build();
        assertEquals(2, instance.memory().pages());
        assertEquals(0, instance.memory().read(0), "the previous tenant's bytes are gone");
        assertEquals("hi", instance.memory().readString(8, 2));
      }
      assertEquals(0, engine.metrics().memories());
    }
  }

  @Test
  void dataOutOfBounds_isEndivesUninstantiableException() {
    // The same module with the data at i32.const -1 (LEB128 0xff 0x7f): one byte longer.
    byte[] fixed = new byte[WASM.length + 1];
    System.arraycopy(WASM, 0, fixed, 0, WASM.length - 5);
    System.arraycopy(new byte[] {(byte) 0xff, 0x7f, 0x0b, 0x02, 'h', 'i'}, 0, fixed, WASM.length - 5, 6);
    fixed[WASM.length - 9] = 0x09; // the data section's size
    WasmModule module = Parser.parse(fixed);
    try (Engine engine = engine("portable");
        PooledEndiveModule pooled = PooledEndiveModule.load(engine, module)) {
      try (PooledResources resources = pooled.resources()) {
        assertThrows(UninstantiableException.class, () -> resources.applyTo(Instance.builder(module)).build());
      }
      assertEquals(0, engine.metrics().memories());
    }
  }
}
