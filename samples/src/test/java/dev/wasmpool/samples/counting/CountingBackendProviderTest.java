package dev.wasmpool.samples.counting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.Parser;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import dev.wasmpool.spi.BackendProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/** The counting backend plugin, found through ServiceLoader and selected by name. */
@Isolated // reads process-wide counters and sets a system property
class CountingBackendProviderTest {

  /** (memory (export "memory") 1) (data (i32.const 0) "hi") (func (export "peek") (result i32) (i32.load8_u (i32.const 1))) */
  private static final byte[] MODULE = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
    0x03, 0x02, 0x01, 0x00, // func 0 has type 0
    0x05, 0x03, 0x01, 0x00, 0x01, // memory min 1
    0x07, 0x08, 0x01, 0x04, 'p', 'e', 'e', 'k', 0x00, 0x00, // export "peek" = func 0
    0x0a, 0x09, 0x01, 0x07, 0x00, 0x41, 0x01, 0x2d, 0x00, 0x00, 0x0b, // i32.load8_u(1)
    0x0b, 0x08, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 'h', 'i' // data at 0: "hi"
  };

  private static EngineConfig smallPool(String backend) {
    return EngineConfig.builder()
        .memoryReservation(1L << 20)
        .backend(backend)
        .allocationStrategy(
            AllocationStrategy.pooling(
                PoolingAllocationConfig.builder()
                    .totalCoreInstances(4)
                    .totalMemories(4)
                    .totalTables(4)
                    .maxMemorySize(1L << 20)
                    .build()))
        .build();
  }

  /** Loads the module, instantiates it {@code times} times and checks each answer. */
  private static void instantiate(Engine engine, int times) {
    try (PooledWasmModule module = PooledWasmModule.load(engine, Parser.parse(MODULE))) {
      for (int i = 0; i < times; i++) {
        try (PooledInstance instance = module.instantiate()) {
          assertEquals('i', (int) instance.export("peek").apply()[0]);
        }
      }
    }
  }

  @Test
  void serviceLoader_findsTheProvider() {
    assertTrue(
        ServiceLoader.load(BackendProvider.class).stream()
            .anyMatch(p -> p.type() == CountingBackendProvider.class),
        "META-INF/services registers the counting provider");
  }

  @Test
  void support_namesTheWrappedBackend() {
    var support = new CountingBackendProvider().support();
    assertTrue(support.supported(), support.reason());
    assertTrue(support.reason().startsWith("counting calls to "), support.reason());
  }

  @Test
  void backendByConfig_countsTheEnginesOperations() {
    OperationStats.Snapshot before = OperationStats.snapshot();
    try (Engine engine = Engine.create(smallPool("counting"))) {
      assertEquals("counting", engine.backendName());
      OperationStats.Snapshot created = OperationStats.snapshot().since(before);
      assertTrue(created.count(Operation.RESERVE) >= 1, "the pool reserves its slots at engine start");

      instantiate(engine, 5);

      OperationStats.Snapshot used = OperationStats.snapshot().since(before);
      assertTrue(used.count(Operation.RESET) >= 5, "each close resets the slot: " + used.counts());
      assertTrue(
          used.count(Operation.CREATE_IMAGE) + used.count(Operation.MAKE_ACCESSIBLE) > 0,
          "instantiation prepared the memory through the backend: " + used.counts());
      assertTrue(used.nanos(Operation.RESET) > 0, "resets were timed");
    }
    OperationStats.Snapshot closed = OperationStats.snapshot().since(before);
    assertEquals(
        closed.count(Operation.RESERVE),
        closed.count(Operation.RELEASE),
        "closing the engine released every reservation: " + closed.counts());
    assertEquals(closed.count(Operation.CREATE_IMAGE), closed.count(Operation.CLOSE_IMAGE));
  }

  @Test
  void backendBySystemProperty_isUsedWhenTheConfigSaysAuto() {
    String previous = System.getProperty("wasmpool.backend");
    System.setProperty("wasmpool.backend", "counting");
    try {
      OperationStats.Snapshot before = OperationStats.snapshot();
      try (Engine engine = Engine.create(smallPool("auto"))) {
        assertEquals("counting", engine.backendName());
        instantiate(engine, 3);
      }
      assertTrue(OperationStats.snapshot().since(before).count(Operation.RESET) >= 3);
    } finally {
      if (previous == null) {
        System.clearProperty("wasmpool.backend");
      } else {
        System.setProperty("wasmpool.backend", previous);
      }
    }
  }

  @Test
  void autoSelection_neverPicksTheCountingBackend() {
    OperationStats.Snapshot before = OperationStats.snapshot();
    try (Engine engine = Engine.create(smallPool("auto"))) {
      assertNotEquals("counting", engine.backendName());
      instantiate(engine, 2);
    }
    assertEquals(0, OperationStats.snapshot().since(before).count(Operation.RESET));
  }

  @Test
  void delegateProperty_choosesTheWrappedBackend() {
    System.setProperty(CountingBackendProvider.DELEGATE_PROPERTY, "portable");
    try {
      assertEquals("counting calls to portable", new CountingBackendProvider().support().reason());
      try (Engine engine = Engine.create(smallPool("counting"))) {
        instantiate(engine, 1);
      }
      System.setProperty(CountingBackendProvider.DELEGATE_PROPERTY, "nonexistent");
      var support = new CountingBackendProvider().support();
      assertTrue(!support.supported(), support.reason());
      assertTrue(support.reason().startsWith("no backend to wrap: wasmpool.counting.delegate=nonexistent; found "), support.reason());
    } finally {
      System.clearProperty(CountingBackendProvider.DELEGATE_PROPERTY);
    }
  }
}
