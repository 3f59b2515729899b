package dev.wasmpool.api;

import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.PooledModule;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The engine contract on the portable backend (no native calls), plus what only it does. */
class PortableEngineTest extends EngineContractTest {

  @Override
  String backend() {
    return "portable";
  }

  @Test
  void slotSize_reservationAndMaxMemorySizeLongMax_slotsHoldA32BitMemory() {
    // Issue 12 item 6: rounding Long.MAX_VALUE up to a page overflowed, and the slots were 4 KiB.
    Engine engine =
        engine(
            EngineConfig.builder()
                .backend(backend())
                .memoryReservation(Long.MAX_VALUE)
                .allocationStrategy(
                    AllocationStrategy.pooling(
                        pool().totalMemories(1).maxMemorySize(Long.MAX_VALUE).build()))
                .build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = a.memories().get(0);
      assertEquals(65536, memory.maximumPages());
      memory.segment().set(ValueLayout.JAVA_BYTE, PAGE - 1, (byte) 1);
      assertEquals(1, memory.grow(15));
      MemorySegment grown = memory.segment();
      assertEquals(16 * PAGE, grown.byteSize());
      assertEquals(1, grown.get(ValueLayout.JAVA_BYTE, PAGE - 1));
      grown.set(ValueLayout.JAVA_BYTE, 16 * PAGE - 1, (byte) 2);
      assertEquals(2, grown.get(ValueLayout.JAVA_BYTE, 16 * PAGE - 1));
    }
  }
}
