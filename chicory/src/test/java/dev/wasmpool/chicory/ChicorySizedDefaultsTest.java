package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.dylibso.chicory.runtime.Memory;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.testkit.WasmBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Issue 14, point 2: the default reservation is what a Chicory memory can use, no more and no
 * less.
 */
class ChicorySizedDefaultsTest {

  private static final long CHICORY_MAX_BYTES = (long) Memory.RUNTIME_MAX_PAGES * Memory.PAGE_SIZE;

  @Test
  void defaults_reservationAndMaxMemorySize_areChicorysLargestMemory() {
    EngineConfig defaults = EngineConfig.defaults();
    PoolingAllocationConfig pool = ((AllocationStrategy.Pooling) defaults.allocationStrategy()).config();
    assertEquals(CHICORY_MAX_BYTES, defaults.memoryReservation());
    assertEquals(CHICORY_MAX_BYTES, pool.maxMemorySize());
  }

  /** Growing touches no page on Linux, so a 2 GiB memory costs one written page here. */
  @Test
  @EnabledOnOs(value = OS.LINUX, disabledReason = "the portable backend would commit 2 GiB")
  void defaults_unboundedMemory_growsToChicorysCapInItsSlot_andNoFurther() {
    try (Engine engine = Engine.create(EngineConfig.builder().backend("linux").build());
        PooledWasmModule module = PooledWasmModule.load(engine, new WasmBuilder().memory(1, -1).parse());
        PooledInstance instance = module.instantiate()) {
      Memory memory = instance.memory();
      assertEquals(Memory.RUNTIME_MAX_PAGES, memory.maximumPages());
      assertEquals(1, memory.grow(Memory.RUNTIME_MAX_PAGES - 1));
      assertEquals(Memory.RUNTIME_MAX_PAGES, memory.pages());
      int last = (int) (CHICORY_MAX_BYTES - 1);
      memory.writeByte(last, (byte) 7);
      assertEquals(7, memory.read(last));
      assertEquals(-1, memory.grow(1), "Chicory's cap, which is also the pool's maximum");
    }
  }
}
