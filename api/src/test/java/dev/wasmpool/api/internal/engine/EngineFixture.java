package dev.wasmpool.api.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.testing.FakeBackend;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.UnaryOperator;

/** Engine construction and inspection shared by the engine tests. */
final class EngineFixture {

  static final long PAGE = 65536;

  private EngineFixture() {}

  /** A small pool: 4 of everything, memories up to 10 pages, one 64 KiB guard, tables of 10. */
  static PoolingAllocationConfig.Builder smallPool() {
    return PoolingAllocationConfig.builder()
        .totalMemories(4)
        .totalTables(4)
        .totalCoreInstances(4)
        .totalStacks(4)
        .totalComponentInstances(4)
        .totalGcHeaps(4)
        .maxMemorySize(10 * PAGE)
        .tableElements(10);
  }

  static EngineConfig config(PoolingAllocationConfig pool, UnaryOperator<EngineConfig.Builder> engine) {
    return engine
        .apply(
            EngineConfig.builder()
                .allocationStrategy(AllocationStrategy.pooling(pool))
                .memoryReservation(10 * PAGE)
                .memoryGuardSize(PAGE))
        .build();
  }

  static EngineImpl engine(FakeBackend backend, PoolingAllocationConfig pool) {
    return engine(backend, pool, b -> b);
  }

  static EngineImpl engine(
      FakeBackend backend, PoolingAllocationConfig pool, UnaryOperator<EngineConfig.Builder> engine) {
    return (EngineImpl) Engines.create(config(pool, engine), backend);
  }

  static PoolingAllocator pooling(EngineImpl engine) {
    return (PoolingAllocator) engine.allocator();
  }

  static MemoryPool memoryPool(EngineImpl engine) {
    return pooling(engine).memoryPool();
  }

  /** The engine's allocation behind the handle a module hands out. */
  static Allocation allocationOf(InstanceAllocation allocation) {
    return ((TrackedAllocation) allocation).allocation();
  }

  /** The memory pool slot index of an allocation's memory. */
  static int slotOf(InstanceAllocation allocation, int memory) {
    return allocationOf(allocation).allocatedMemories()[memory].grant().slotIndex();
  }

  static ImageSlot imageSlotOf(EngineImpl engine, InstanceAllocation allocation, int memory) {
    return memoryPool(engine).slot(slotOf(allocation, memory));
  }

  static void fill(MemorySegment segment, byte value) {
    segment.fill(value);
  }

  static void assertAllZero(MemorySegment segment) {
    for (long i = 0; i < segment.byteSize(); i += 8) {
      long word = segment.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
      if (word != 0) {
        throw new AssertionError("non-zero byte near offset " + i + " of " + segment.byteSize());
      }
    }
  }

  /** Closes the engine and checks the backend got everything back. */
  static void closeAndCheck(EngineImpl engine, FakeBackend backend) {
    engine.close();
    assertTrue(backend.isClosed(), "backend closed");
    assertEquals(0, backend.openReservations().size(), "open reservations");
    assertEquals(0, backend.openImages().size(), "open images");
  }
}
