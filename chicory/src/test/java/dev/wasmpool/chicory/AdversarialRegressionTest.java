package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reproducers of the defects an adversarial run found (issue 12), run through the Chicory binding
 * on every backend. Each test is named after what it guards.
 */
class AdversarialRegressionTest {

  static List<String> backends() {
    return Pools.backends();
  }

  /* ---- copy-on-write images ---- */

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memoryInitCow_emptyDataSegmentBeforeTheData_instantiates(String backend) {
    // (module (memory 2) (data (i32.const 100) "x") (data (i32.const 0) ""))
    WasmModule module =
        new WasmBuilder()
            .memory(2, -1)
            .activeData(100, new byte[] {'x'})
            .activeData(0, new byte[0])
            .parse();
    try (Engine engine = Pools.engine(backend, p -> p.maxMemorySize(2 * PAGE), e -> e.memoryReservation(2 * PAGE));
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      assertTrue(pooled.pooledModule().hasImage(0), "the memory is served by an image");
      for (int round = 0; round < 2; round++) {
        try (PooledInstance instance = pooled.instantiate()) {
          Memory memory = instance.memory();
          assertEquals('x', memory.read(100));
          assertEquals(0, memory.read(99));
          assertEquals(0, memory.read(0));
        }
      }
    }
  }
}
