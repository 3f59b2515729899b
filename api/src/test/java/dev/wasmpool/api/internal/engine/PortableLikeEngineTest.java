package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.PAGE;
import static dev.wasmpool.api.internal.engine.EngineFixture.assertAllZero;
import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.slotOf;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.testing.FakeBackend;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A backend without virtual reservations (like impl-portable): slots are reserved one by one on
 * first use, and a reservation's segment is replaced when it grows.
 */
class PortableLikeEngineTest {

  private final FakeBackend backend = FakeBackend.portableLike();
  private final EngineImpl engine = engine(backend, smallPool().build());

  @AfterEach
  void closeEngine() {
    closeAndCheck(engine, backend);
  }

  @Test
  void slots_reservedLazily_oneSlabPerSlot() {
    // One code path for every backend: slabs of one slot here, the first of each pool (memories,
    // tables) reserved at start, the next on first use.
    assertEquals(1, EngineFixture.memoryPool(engine).reservedSlabs());
    assertEquals(2, backend.count("reserve"));
    PooledModule module = engine.register(withMemoryAndTable("p", 1, 1));
    try (InstanceAllocation a = module.allocate()) {
      assertEquals(2, backend.count("reserve"), "slot 0 of each pool was reserved at start");
      try (InstanceAllocation b = module.allocate()) {
        assertEquals(4, backend.count("reserve"), "slot 1 of each pool: its own slab");
      }
      assertEquals(10 * PAGE, EngineFixture.memoryPool(engine).slot(slotOf(a, 0)).reservation().byteSize());
    }
    try (InstanceAllocation a = module.allocate()) {
      assertEquals(4, backend.count("reserve"), "a warm slot keeps its reservation");
      assertEquals(PAGE, a.memories().get(0).segment().byteSize());
    }
  }

  @Test
  void grow_rereadsTheReplacedSegment_contentsCarriedOver() {
    PooledModule module = engine.register(withMemoryAndTable("p", 1, 1, data(0, "pp")));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = a.memories().get(0);
      MemorySegment before = memory.segment();
      before.set(ValueLayout.JAVA_INT, 100, 7);
      assertEquals(1, memory.grow(2));
      MemorySegment after = memory.segment();
      assertNotEquals(before.address(), after.address(), "the fake replaced the segment");
      assertEquals('p', after.get(ValueLayout.JAVA_BYTE, 0));
      assertEquals(7, after.get(ValueLayout.JAVA_INT, 100));
      after.set(ValueLayout.JAVA_INT, 2 * PAGE, 9);
      assertEquals(9, after.get(ValueLayout.JAVA_INT, 2 * PAGE));
    }
    try (InstanceAllocation b = module.allocate()) {
      LinearMemory memory = b.memories().get(0);
      assertEquals('p', memory.segment().get(ValueLayout.JAVA_BYTE, 0));
      assertEquals(0, memory.segment().get(ValueLayout.JAVA_INT, 100));
      memory.grow(2);
      assertAllZero(memory.segment().asSlice(PAGE));
    }
  }

  @Test
  void reuse_shrinksBackWithoutGuards_soResetsStaySmall() {
    PooledModule module = engine.register(withMemoryAndTable("p", 1, 1));
    try (InstanceAllocation a = module.allocate()) {
      a.memories().get(0).grow(4);
    }
    backend.clearCalls();
    try (InstanceAllocation b = module.allocate()) {
      assertEquals(1, backend.count("makeInaccessible"));
      assertEquals(1, b.memories().get(0).pages());
    }
    assertEquals(true, backend.calls().contains("reset(0x0, 0x10000, keep=0x0)"), backend.calls().toString());
  }
}
