package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.layout.MappingBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The worked sizing example of the user guide (section 3, "Sizing a pool for N tenants"), checked
 * against what the process really reserves: {@code VmSize} in {@code /proc/self/status} when the
 * engine starts and once every slot has been used, and the mappings the engine claims.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "reads VmSize from /proc/self/status")
class PoolSizingTest {

  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;

  /** What the JVM itself may map or unmap meanwhile (code cache, arenas): far below any figure. */
  private static final long NOISE_KIB = 64 * 1024;

  /** 400 tenants, memories up to 512 MiB, tables up to 5000 elements, 64 KiB kept; default guard. */
  static EngineConfig guideExample() {
    return EngineConfig.builder()
        .backend("linux")
        .memoryReservation(512 * MIB)
        .allocationStrategy(
            AllocationStrategy.pooling(
                PoolingAllocationConfig.builder()
                    .totalCoreInstances(400)
                    .totalMemories(400)
                    .totalTables(400)
                    .maxMemorySize(512 * MIB)
                    .tableElements(5000)
                    .linearMemoryKeepResident(64 * KIB)
                    .build()))
        .build();
  }

  @Test
  void guideExample_addressSpaceAndMappings_asTheGuideComputes() throws IOException {
    // The guide's arithmetic, on 4 KiB host pages:
    long slot = 512 * MIB + 64 * KIB; // reservation + guard
    long slabGuard = 64 * KIB; // guardBeforeLinearMemory, once per slab of 16 slots
    long tables = 400 * 40 * KIB; // 5000 * 8 bytes rounded up to 10 pages, per slot
    long firstSlab = 16 * slot + slabGuard;
    long wholePool = 400 * slot + 25 * slabGuard;
    assertEquals(8_591_048_704L, firstSlab);
    assertEquals(214_776_217_600L, wholePool);
    assertEquals(16_384_000L, tables);

    long claimedBefore = MappingBudget.process().claimed();
    long before = vmSizeKiB();
    try (Engine engine = Engine.create(guideExample())) {
      long atCreate = vmSizeKiB() - before;
      assertEquals(
          4 * 400 + 2 + 2 * 400,
          MappingBudget.process().claimed() - claimedBefore,
          "4 per memory slot, 2 slab guards, 2 per table slot");
      PooledModule module = engine.register(withMemoryAndTable("tenant", 1, 10));
      List<InstanceAllocation> live = new ArrayList<>();
      for (int i = 0; i < 400; i++) {
        live.add(module.allocate());
      }
      long full = vmSizeKiB() - before;
      live.forEach(InstanceAllocation::close);
      System.out.printf(
          "guide example: VmSize +%d KiB at Engine.create() (expected %d), +%d KiB with every slot used (expected %d)%n",
          atCreate, (firstSlab + tables) / KIB, full, (wholePool + tables) / KIB);
      assertNear((firstSlab + tables) / KIB, atCreate, "at Engine.create()");
      assertNear((wholePool + tables) / KIB, full, "with all 400 slots used");
    }
  }

  @Test
  void defaults_engineCreate_reservesOneSlabOf2GiBSlotsAndTheTables() throws IOException {
    EngineConfig defaults = EngineConfig.builder().backend("linux").build();
    long slot = defaults.memoryReservation() + defaults.memoryGuardSize();
    assertEquals(2L << 30, slot, "32767 pages and a 64 KiB guard");
    long firstSlab = 16 * slot + defaults.memoryGuardSize();
    long tables = 1000 * 160 * KIB; // 20000 elements of 8 bytes, page-rounded
    long before = vmSizeKiB();
    try (Engine engine = Engine.create(defaults)) {
      long atCreate = vmSizeKiB() - before;
      System.out.printf("defaults: VmSize +%d KiB at Engine.create() (expected %d)%n", atCreate, (firstSlab + tables) / KIB);
      assertNear((firstSlab + tables) / KIB, atCreate, "at Engine.create() with defaults");
    }
  }

  private static void assertNear(long expectedKiB, long actualKiB, String when) {
    assertTrue(
        Math.abs(actualKiB - expectedKiB) <= NOISE_KIB,
        when + ": VmSize grew by " + actualKiB + " KiB, expected " + expectedKiB + " KiB");
  }

  static long vmSizeKiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmSize:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new AssertionError("no VmSize in /proc/self/status");
  }
}
