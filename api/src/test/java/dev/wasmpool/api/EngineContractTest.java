package dev.wasmpool.api;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.PooledModule;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import dev.wasmpool.api.testing.Churn;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine through its public API on a real backend; {@link LinuxEngineTest} and {@link
 * PortableEngineTest} run it.
 */
abstract class EngineContractTest {

  static final long PAGE = MemoryType.PAGE_SIZE;

  private final List<Engine> engines = new ArrayList<>();

  /** The backend's name, as {@link EngineConfig.Builder#backend(String)} takes it. */
  abstract String backend();

  /**
   * What a warm memory slot holds after its reset, as {@code PoolMetrics} should count it.
   *
   * @param memoryBytes the memory's size at close
   * @param keepResidentBytes {@code linearMemoryKeepResident}, page-rounded
   * @return the bytes
   */
  abstract long warmSlotBytes(long memoryBytes, long keepResidentBytes);

  @AfterEach
  void closeEngines() {
    for (Engine engine : engines) {
      engine.close();
    }
  }

  PoolingAllocationConfig.Builder pool() {
    return PoolingAllocationConfig.builder()
        .totalMemories(4)
        .totalTables(4)
        .totalCoreInstances(4)
        .maxMemorySize(16 * PAGE)
        .tableElements(100);
  }

  Engine engine(PoolingAllocationConfig pool) {
    return engine(
        EngineConfig.builder()
            .allocationStrategy(AllocationStrategy.pooling(pool))
            .memoryReservation(16 * PAGE)
            .memoryGuardSize(PAGE)
            .backend(backend())
            .build());
  }

  Engine engine(EngineConfig config) {
    Engine engine = Engine.create(config);
    engines.add(engine);
    assertEquals(backend(), engine.backendName());
    return engine;
  }

  static String text(MemorySegment segment, long offset, int length) {
    byte[] bytes = new byte[length];
    MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  static void assertZero(MemorySegment segment, long from) {
    for (long i = from; i < segment.byteSize(); i += 8) {
      if (segment.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
        throw new AssertionError("non-zero bytes near offset " + i);
      }
    }
  }

  @Test
  void reuse_dataBackInPlace_everyOtherByteZero() {
    Engine engine = engine(pool().maxUnusedWarmSlots(0).totalMemories(1).build());
    PooledModule module = engine.register(withMemory("m", 2, -1, data(70_000, "hello")));
    assertTrue(module.hasImage(0));
    for (int round = 0; round < 3; round++) {
      try (InstanceAllocation a = module.allocate()) {
        MemorySegment memory = a.memories().get(0).segment();
        assertTrue(a.memories().get(0).imageInPlace());
        assertEquals("hello", text(memory, 70_000, 5));
        assertEquals(0, memory.get(ValueLayout.JAVA_BYTE, 69_999));
        assertEquals(0, memory.get(ValueLayout.JAVA_BYTE, 70_005));
        memory.fill((byte) 0xFE);
      }
    }
  }

  @Test
  void switchImageAndNonImage_noLeakEitherWay() {
    Engine engine = engine(pool().maxUnusedWarmSlots(0).totalMemories(1).build());
    PooledModule imaged = engine.register(withMemory("i", 1, -1, data(0, "image")));
    PooledModule plain = engine.register(withMemory("p", 1, -1));
    for (int round = 0; round < 3; round++) {
      try (InstanceAllocation a = imaged.allocate()) {
        assertEquals("image", text(a.memories().get(0).segment(), 0, 5));
        assertZero(a.memories().get(0).segment(), 8);
        a.memories().get(0).segment().fill((byte) 0xAB);
      }
      try (InstanceAllocation a = plain.allocate()) {
        assertZero(a.memories().get(0).segment(), 0);
        a.memories().get(0).segment().fill((byte) 0xCD);
      }
    }
  }

  @Test
  void useAfterClose_throws() {
    Engine engine = engine(pool().totalMemories(1).build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1));
    InstanceAllocation a = module.allocate();
    MemorySegment memory = a.memories().get(0).segment();
    MemorySegment table = a.tables().get(0).elements();
    a.close();
    try (InstanceAllocation b = module.allocate()) {
      b.memories().get(0).segment().fill((byte) 1);
      assertThrows(IllegalStateException.class, () -> memory.get(ValueLayout.JAVA_BYTE, 0));
      assertThrows(IllegalStateException.class, () -> table.set(ValueLayout.JAVA_LONG, 0, 1L));
    }
  }

  @Test
  void grow_inPlace_upToTheLimit_zeroAfterReuse() {
    Engine engine = engine(pool().totalMemories(1).build());
    PooledModule module = engine.register(withMemory("g", 1, -1));
    try (InstanceAllocation a = module.allocate()) {
      LinearMemory memory = a.memories().get(0);
      assertEquals(16, memory.maximumPages());
      assertEquals(1, memory.grow(15));
      assertEquals(-1, memory.grow(1));
      memory.segment().fill((byte) 0x99);
    }
    try (InstanceAllocation b = module.allocate()) {
      LinearMemory memory = b.memories().get(0);
      assertEquals(PAGE, memory.segment().byteSize());
      assertEquals(1, memory.grow(15));
      assertZero(memory.segment(), 0);
    }
  }

  @Test
  void exhaustion_thenRecovery() {
    Engine engine = engine(pool().totalMemories(2).build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    InstanceAllocation a = module.allocate();
    InstanceAllocation b = module.allocate();
    assertEquals(
        "maximum concurrent limit of 2 for memory stripe 0 reached",
        assertThrows(PoolExhaustedException.class, module::allocate).getMessage());
    a.close();
    module.allocate().close();
    b.close();
    assertEquals(0, engine.metrics().coreInstances());
  }

  @ParameterizedTest(name = "capacity {0}, batch {1}")
  @CsvSource({"10,5", "10,1", "10,0", "10,99"})
  void decommitBatching_everySlotFilledThreeTimes(int capacity, int batch) {
    Engine engine =
        engine(
            pool()
                .totalMemories(capacity)
                .totalTables(capacity)
                .totalCoreInstances(capacity)
                .decommitBatchSize(batch)
                .build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1, data(8, "d")));
    for (int round = 0; round < 3; round++) {
      List<InstanceAllocation> live = new ArrayList<>();
      for (int i = 0; i < capacity; i++) {
        InstanceAllocation a = module.allocate();
        MemorySegment memory = a.memories().get(0).segment();
        assertEquals('d', memory.get(ValueLayout.JAVA_BYTE, 8));
        assertZero(memory, 16);
        assertZero(a.tables().get(0).elements(), 0);
        memory.fill((byte) 0x5A);
        a.tables().get(0).elements().fill((byte) 0x5A);
        live.add(a);
      }
      live.forEach(InstanceAllocation::close);
    }
  }

  @Test
  void metrics_keepResident64KiB_warmSlotsCountWhatTheyHold() {
    Engine engine = engine(pool().linearMemoryKeepResident(65536).build());
    PooledModule module = engine.register(withMemory("m", 3, -1));
    List<InstanceAllocation> live = List.of(module.allocate(), module.allocate(), module.allocate());
    assertEquals(3, engine.metrics().memories());
    live.forEach(InstanceAllocation::close);
    PoolMetrics metrics = engine.metrics();
    assertEquals(3, metrics.unusedWarmMemories());
    assertEquals(3 * warmSlotBytes(3 * PAGE, 65536), metrics.unusedMemoryBytesResident());
    assertEquals(0, metrics.memories());
  }

  @Test
  void keepResident_longMaxValue_resetsEverythingByWriting() {
    // Issue 12 item 6: Long.MAX_VALUE overflowed when rounded to pages; every close then failed
    // to reset the slot ("memory slot reset failed") and the table's keep-resident went negative.
    Engine engine =
        engine(
            pool()
                .totalMemories(1)
                .totalTables(1)
                .linearMemoryKeepResident(Long.MAX_VALUE)
                .tableKeepResident(Long.MAX_VALUE)
                .build());
    PooledModule module = engine.register(withMemoryAndTable("m", 2, 100));
    for (int round = 0; round < 3; round++) {
      try (InstanceAllocation a = module.allocate()) {
        MemorySegment memory = a.memories().get(0).segment();
        MemorySegment elements = a.tables().get(0).elements();
        assertZero(memory, 0);
        assertZero(elements, 0);
        memory.fill((byte) 0x5A);
        elements.fill((byte) 0x5A);
      }
      PoolMetrics metrics = engine.metrics();
      assertEquals(2 * PAGE, metrics.unusedMemoryBytesResident(), "the whole memory was reset by writing");
      assertTrue(metrics.unusedTableBytesResident() > 0, "the table was reset by writing: " + metrics);
    }
  }

  @Test
  void create_totalMemoriesIntegerMax_errorNamesTheOption() {
    // Issue 12 item 8: the error did not say which option was wrong.
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                engine(
                    EngineConfig.builder()
                        .backend(backend())
                        .allocationStrategy(
                            AllocationStrategy.pooling(
                                PoolingAllocationConfig.builder().totalMemories(Integer.MAX_VALUE).build()))
                        .build()));
    assertTrue(e.getMessage().contains("totalMemories"), e.getMessage());
  }

  @Test
  void moduleClose_otherTenantsSeeNothingOfIt() {
    Engine engine = engine(pool().totalMemories(2).build());
    PooledModule module = engine.register(withMemory("a", 1, -1, data(0, "SECRET")));
    module.allocate().close();
    module.allocate().close();
    module.close();
    PooledModule other = engine.register(withMemory("b", 1, -1));
    try (InstanceAllocation x = other.allocate();
        InstanceAllocation y = other.allocate()) {
      assertZero(x.memories().get(0).segment(), 0);
      assertZero(y.memories().get(0).segment(), 0);
    }
  }

  @Test
  void concurrency_fourThreads_countsConserved_noTenantSeesAnother() throws InterruptedException {
    Engine engine =
        engine(pool().totalMemories(3).totalTables(3).totalCoreInstances(3).decommitBatchSize(2).build());
    Churn.tenants(
        engine,
        4,
        1500,
        (x, image, id, i) -> {
          MemorySegment memory = x.memories().get(0).segment();
          assertEquals(image, text(memory, 0, 4));
          assertZero(memory.asSlice(8, 4096), 0);
          assertZero(x.tables().get(0).elements(), 0);
          memory.asSlice(8, 4096).fill((byte) id);
          x.tables().get(0).elements().fill((byte) id);
          if (i % 7 == 0) {
            x.memories().get(0).grow(1);
            // Re-read: on the portable backend a growth that moves the memory ends the old view.
            memory = x.memories().get(0).segment();
          }
          assertEquals(id, memory.get(ValueLayout.JAVA_BYTE, 4000));
        });
  }

  @Test
  void onDemand_allocatesAndReleases() {
    Engine engine =
        engine(
            EngineConfig.builder()
                .allocationStrategy(AllocationStrategy.onDemand())
                .memoryReservation(16 * PAGE)
                .backend(backend())
                .build());
    PooledModule module = engine.register(withMemoryAndTable("od", 1, 1, data(3, "od")));
    for (int i = 0; i < 3; i++) {
      try (InstanceAllocation a = module.allocate()) {
        MemorySegment memory = a.memories().get(0).segment();
        assertEquals("od", text(memory, 3, 2));
        assertEquals(1, a.memories().get(0).grow(2));
        memory = a.memories().get(0).segment(); // the old view may have ended (portable)
        assertZero(memory, PAGE);
        memory.fill((byte) 7);
      }
    }
    assertEquals(0, engine.metrics().memories());
  }

  @Test
  void defaults_oneThousandSlots_allocate() {
    Engine engine =
        engine(EngineConfig.builder().backend(backend()).build());
    PooledModule module = engine.register(withMemoryAndTable("d", 1, 10, data(0, "x")));
    try (InstanceAllocation a = module.allocate()) {
      assertEquals(32767, a.memories().get(0).maximumPages(), "the default maxMemorySize, Chicory's cap");
      assertEquals('x', a.memories().get(0).segment().get(ValueLayout.JAVA_BYTE, 0));
      assertEquals(20_000 * 8, a.tables().get(0).elements().byteSize());
    }
  }
}
