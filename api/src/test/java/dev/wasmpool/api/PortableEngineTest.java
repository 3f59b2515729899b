package dev.wasmpool.api;

import static dev.wasmpool.api.testing.Modules.withMemory;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
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

  /** The slot's own storage, trimmed by the reset to the memory's size at close. */
  @Override
  long warmSlotBytes(long memoryBytes, long keepResidentBytes) {
    return memoryBytes;
  }

  @Test
  void metrics_fliteSizedMemoryGrownPageByPage_warmSlotCountsItsFinalSize() {
    // Issue 14 item 6: a Flite-sized memory (262 pages) cost 50 MiB per warm portable slot, and
    // unusedMemoryBytesResident said 0.
    long pages = 262;
    Engine engine =
        engine(
            EngineConfig.builder()
                .backend(backend())
                .memoryReservation(512 * PAGE)
                .allocationStrategy(
                    AllocationStrategy.pooling(
                        pool().totalMemories(1).maxMemorySize(512 * PAGE).build()))
                .build());
    PooledModule module = engine.register(withMemoryAndTable("flite", 1, 10));
    for (int tenant = 0; tenant < 2; tenant++) {
      try (InstanceAllocation a = module.allocate()) {
        LinearMemory memory = a.memories().get(0);
        for (long p = 1; p < pages; p++) {
          assertEquals(p, memory.grow(1));
          memory.segment().set(ValueLayout.JAVA_BYTE, p * PAGE, (byte) 1);
        }
      }
      PoolMetrics metrics = engine.metrics();
      assertEquals(1, metrics.unusedWarmMemories());
      assertEquals(pages * PAGE, metrics.unusedMemoryBytesResident(), "tenant " + tenant);
      assertEquals(4096, metrics.unusedTableBytesResident(), "a 100-element table slot: one 4 KiB page");
    }
  }

  @Test
  void metrics_warmSlotOfALargerTenant_countsTheNextTenantsSize() {
    // Without guards a smaller tenant shrinks the slot; its reset then trims the storage too.
    Engine engine = engine(pool().totalMemories(1).build());
    PooledModule large = engine.register(withMemory("large", 12, -1));
    PooledModule small = engine.register(withMemory("small", 2, -1));
    large.allocate().close();
    assertEquals(12 * PAGE, engine.metrics().unusedMemoryBytesResident());
    small.allocate().close();
    assertEquals(2 * PAGE, engine.metrics().unusedMemoryBytesResident());
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
