package dev.wasmpool.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EngineConfigTest {

  /* ---- defaults ---- */

  @Test
  void defaults_poolingWithDefaultPool() {
    EngineConfig config = EngineConfig.defaults();
    assertEquals(AllocationStrategy.pooling(PoolingAllocationConfig.defaults()), config.allocationStrategy());
    assertEquals(32767L * 65536, config.memoryReservation(), "Chicory's largest memory");
    assertEquals(64L << 10, config.memoryGuardSize());
    assertTrue(config.guardBeforeLinearMemory());
    assertTrue(config.memoryInitCow());
    assertEquals("auto", config.backend());
    assertEquals("EngineConfig{}", config.toString());
    assertEquals(config, EngineConfig.builder().build());
  }

  /* ---- memoryReservation vs maxMemorySize ---- */

  @Test
  void build_maxMemorySizeAboveReservation_throwsWasmtimeText() {
    EngineConfig.Builder builder =
        EngineConfig.builder()
            .memoryReservation(0x10000)
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder().maxMemorySize(0x100010000L).build()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    assertEquals(
        "maximum memory size of 4295032832 bytes (4.0 GiB) exceeds the configured memory"
            + " reservation of 65536 bytes (64 KiB)",
        e.getMessage());
  }

  @Test
  void build_defaultPoolWithSmallerReservation_throws() {
    EngineConfig.Builder builder = EngineConfig.builder().memoryReservation(32767L * 65536 - 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    assertEquals(
        "maximum memory size of 2147418112 bytes (2.0 GiB) exceeds the configured memory"
            + " reservation of 2147418111 bytes (2.0 GiB)",
        e.getMessage());
  }

  @Test
  void build_maxMemorySizeEqualToReservation_isAccepted() {
    EngineConfig config =
        EngineConfig.builder()
            .memoryReservation(1L << 20)
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder().maxMemorySize(1L << 20).build()))
            .build();
    assertEquals(1L << 20, config.memoryReservation());
  }

  @Test
  void build_onDemand_ignoresPoolLimits() {
    EngineConfig config =
        EngineConfig.builder()
            .allocationStrategy(AllocationStrategy.onDemand())
            .memoryReservation(0)
            .build();
    assertEquals(AllocationStrategy.onDemand(), config.allocationStrategy());
    assertEquals("EngineConfig{allocationStrategy=onDemand(), memoryReservation=0B}", config.toString());
  }

  @Test
  void canonicalConstructor_checksAndNormalizesLikeTheBuilder() {
    EngineConfig direct =
        new EngineConfig(AllocationStrategy.onDemand(), 1L << 20, 0, false, true, "Portable");
    assertEquals(
        EngineConfig.builder()
            .allocationStrategy(AllocationStrategy.onDemand())
            .memoryReservation(1L << 20)
            .memoryGuardSize(0)
            .guardBeforeLinearMemory(false)
            .backend("portable")
            .build(),
        direct);
    assertEquals("portable", direct.backend());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new EngineConfig(AllocationStrategy.onDemand(), -2, 0, true, true, "auto"));
    assertEquals("memoryReservation must not be negative (was -2 bytes)", e.getMessage());
  }

  /* ---- setters ---- */

  @Test
  void memoryReservation_negative_throws() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().memoryReservation(-1).build());
    assertEquals("memoryReservation must not be negative (was -1 bytes)", e.getMessage());
  }

  @Test
  void memoryGuardSize_negative_throws() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().memoryGuardSize(-5).build());
    assertEquals("memoryGuardSize must not be negative (was -5 bytes)", e.getMessage());
  }

  @Test
  void allocationStrategy_null_throws() {
    assertThrows(NullPointerException.class, () -> EngineConfig.builder().allocationStrategy(null).build());
    assertThrows(NullPointerException.class, () -> AllocationStrategy.pooling(null));
  }

  @Test
  void backend_blankOrPadded_throws() {
    IllegalArgumentException blank =
        assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().backend(" ").build());
    assertEquals(
        "backend must be a provider name or \"auto\" without surrounding white space (was \" \")",
        blank.getMessage());
    assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().backend("linux ").build());
    assertThrows(IllegalArgumentException.class, () -> EngineConfig.builder().backend("").build());
    assertThrows(NullPointerException.class, () -> EngineConfig.builder().backend(null).build());
  }

  @Test
  void backend_isLowerCased() {
    assertEquals("portable", EngineConfig.builder().backend("Portable").build().backend());
  }

  /* ---- value semantics ---- */

  @Test
  void toString_listsChangedOptionsWithUnits() {
    EngineConfig config =
        EngineConfig.builder()
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder().totalMemories(10).maxMemorySize(1L << 20).build()))
            .memoryReservation(1L << 20)
            .memoryGuardSize(0)
            .guardBeforeLinearMemory(false)
            .memoryInitCow(false)
            .backend("portable")
            .build();
    assertEquals(
        "EngineConfig{allocationStrategy=pooling(PoolingAllocationConfig{totalMemories=10,"
            + " maxMemorySize=1MiB}), memoryReservation=1MiB, memoryGuardSize=0B,"
            + " guardBeforeLinearMemory=false, memoryInitCow=false, backend=portable}",
        config.toString());
  }

  @Test
  void equals_eachOptionTakesPart() {
    EngineConfig base = EngineConfig.defaults();
    assertNotEquals(base, base.toBuilder().allocationStrategy(AllocationStrategy.onDemand()).build());
    assertNotEquals(base, base.toBuilder().memoryReservation(8L << 30).build());
    assertNotEquals(base, base.toBuilder().memoryGuardSize(0).build());
    assertNotEquals(base, base.toBuilder().guardBeforeLinearMemory(false).build());
    assertNotEquals(base, base.toBuilder().memoryInitCow(false).build());
    assertNotEquals(base, base.toBuilder().backend("linux").build());
    EngineConfig copy = base.toBuilder().build();
    assertEquals(base, copy);
    assertEquals(base.hashCode(), copy.hashCode());
  }

  @Test
  void equals_poolingStrategiesCompareTheirConfigs() {
    AllocationStrategy a = AllocationStrategy.pooling(PoolingAllocationConfig.builder().totalTables(2).build());
    AllocationStrategy b = AllocationStrategy.pooling(PoolingAllocationConfig.builder().totalTables(2).build());
    assertEquals(a, b);
    assertNotEquals(a, AllocationStrategy.pooling(PoolingAllocationConfig.defaults()));
    assertEquals(new AllocationStrategy.OnDemand(), AllocationStrategy.onDemand());
  }

  @Test
  void build_leavesTheBuilderUnchanged() {
    EngineConfig.Builder builder = EngineConfig.builder().memoryInitCow(false);
    EngineConfig first = builder.build();
    builder.memoryInitCow(true);
    assertFalse(first.memoryInitCow());
    assertTrue(builder.build().memoryInitCow());
  }

  @Test
  void build_failedCrossCheck_leavesTheBuilderUsable() {
    EngineConfig.Builder builder = EngineConfig.builder().memoryReservation(1);
    assertThrows(IllegalArgumentException.class, builder::build);
    assertEquals(4L << 30, builder.memoryReservation(4L << 30).build().memoryReservation());
  }
}
