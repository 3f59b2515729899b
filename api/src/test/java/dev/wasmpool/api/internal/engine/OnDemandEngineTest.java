package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.PAGE;
import static dev.wasmpool.api.internal.engine.EngineFixture.assertAllZero;
import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.memory;
import static dev.wasmpool.api.testing.Modules.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.testing.FakeBackend;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The on-demand strategy: one reservation per memory and table, released at close. */
class OnDemandEngineTest {

  private final FakeBackend backend = FakeBackend.linuxLike();
  private EngineImpl engine =
      (EngineImpl)
          Engines.create(
              EngineConfig.builder()
                  .allocationStrategy(AllocationStrategy.onDemand())
                  .memoryReservation(8 * PAGE)
                  .build(),
              backend);

  @AfterEach
  void closeEngine() {
    closeAndCheck(engine, backend);
  }

  private static ModuleDescriptor module(long min, long max) {
    return new ModuleDescriptor(
        "od", List.of(memory(min, max)), List.of(table(2, -1)), List.of(data(0, "od-data")), Map.of());
  }

  @Test
  void allocate_reservesPerMemoryAndTable_releasesAtClose() {
    PooledModule module = engine.register(module(1, -1));
    assertEquals(0, backend.count("reserve"));
    InstanceAllocation a = module.allocate();
    assertEquals(2, backend.count("reserve"));
    MemorySegment memory = a.memories().get(0).segment();
    assertEquals('o', memory.get(ValueLayout.JAVA_BYTE, 0));
    assertTrue(a.memories().get(0).imageInPlace());
    assertEquals(20_000, a.tables().get(0).maximumElements());
    assertAllZero(a.tables().get(0).elements());
    assertEquals(new PoolMetrics(1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0), engine.metrics());
    a.close();
    assertEquals(0, backend.openReservations().size());
    assertThrows(IllegalStateException.class, () -> memory.get(ValueLayout.JAVA_BYTE, 0));
    assertEquals(new PoolMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), engine.metrics());
  }

  @Test
  void grow_limitedByDeclaredMaximumAndReservation() {
    PooledModule bounded = engine.register(module(1, 3));
    PooledModule unbounded = engine.register(module(1, -1));
    try (InstanceAllocation a = bounded.allocate();
        InstanceAllocation b = unbounded.allocate()) {
      assertEquals(3, a.memories().get(0).maximumPages());
      assertEquals(8, b.memories().get(0).maximumPages(), "memoryReservation is 8 pages");
      LinearMemory memory = b.memories().get(0);
      assertEquals(1, memory.grow(7));
      assertEquals(-1, memory.grow(1));
      assertAllZero(memory.segment().asSlice(PAGE));
    }
  }

  @Test
  void minimumAboveReservation_reservesTheMinimum() {
    ModuleDescriptor big =
        new ModuleDescriptor(
            "big", List.of(new MemoryType(9, OptionalLong.empty(), false)), List.of(), List.of(), Map.of());
    try (InstanceAllocation a = engine.register(big).allocate()) {
      assertEquals(9, a.memories().get(0).maximumPages());
      assertEquals(9 * PAGE, a.memories().get(0).segment().byteSize());
    }
  }

  @Test
  void noPoolLimits() {
    PooledModule module = engine.register(module(1, -1));
    List<InstanceAllocation> live = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      live.add(module.allocate());
    }
    assertEquals(50, engine.metrics().memories());
    live.forEach(InstanceAllocation::close);
    engine.acquire(AccountedResource.STACK).close();
  }

  @Test
  void moduleClose_withAllocationOpen_imageReleasedWhenItCloses() {
    PooledModule module = engine.register(module(1, -1));
    InstanceAllocation a = module.allocate();
    module.close();
    assertEquals(1, backend.openImages().size());
    assertEquals('o', a.memories().get(0).segment().get(ValueLayout.JAVA_BYTE, 0));
    a.close();
    assertEquals(0, backend.openImages().size());
    assertThrows(IllegalStateException.class, module::allocate);
  }

  @Test
  void reservationFailure_nothingLeaks() {
    PooledModule module = engine.register(module(1, -1));
    backend.failNext("makeAccessible", 2);
    assertThrows(RuntimeException.class, module::allocate);
    assertEquals(0, backend.openReservations().size());
    assertEquals(new PoolMetrics(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), engine.metrics());
  }
}
