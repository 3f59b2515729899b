package dev.wasmpool.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PoolingAllocationConfigTest {

  /** One numeric option: how to set it, read it, its default and whether it counts bytes. */
  record NumericOption(
      String name,
      BiConsumer<PoolingAllocationConfig.Builder, Long> setter,
      Function<PoolingAllocationConfig, Long> getter,
      long defaultValue,
      boolean bytes) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static NumericOption count(
      String name,
      BiConsumer<PoolingAllocationConfig.Builder, Integer> setter,
      Function<PoolingAllocationConfig, Integer> getter,
      long defaultValue) {
    return new NumericOption(
        name,
        (b, v) -> setter.accept(b, Math.toIntExact(v)),
        c -> (long) getter.apply(c),
        defaultValue,
        false);
  }

  private static NumericOption bytes(
      String name,
      BiConsumer<PoolingAllocationConfig.Builder, Long> setter,
      Function<PoolingAllocationConfig, Long> getter,
      long defaultValue) {
    return new NumericOption(name, setter, getter, defaultValue, true);
  }

  static List<NumericOption> numericOptions() {
    return List.of(
        count("maxUnusedWarmSlots", PoolingAllocationConfig.Builder::maxUnusedWarmSlots, PoolingAllocationConfig::maxUnusedWarmSlots, 100),
        count("decommitBatchSize", PoolingAllocationConfig.Builder::decommitBatchSize, PoolingAllocationConfig::decommitBatchSize, 1),
        bytes("asyncStackKeepResident", PoolingAllocationConfig.Builder::asyncStackKeepResident, PoolingAllocationConfig::asyncStackKeepResident, 0),
        bytes("linearMemoryKeepResident", PoolingAllocationConfig.Builder::linearMemoryKeepResident, PoolingAllocationConfig::linearMemoryKeepResident, 0),
        bytes("tableKeepResident", PoolingAllocationConfig.Builder::tableKeepResident, PoolingAllocationConfig::tableKeepResident, 0),
        count("totalComponentInstances", PoolingAllocationConfig.Builder::totalComponentInstances, PoolingAllocationConfig::totalComponentInstances, 1000),
        bytes("maxComponentInstanceSize", PoolingAllocationConfig.Builder::maxComponentInstanceSize, PoolingAllocationConfig::maxComponentInstanceSize, 1L << 20),
        count("totalMemories", PoolingAllocationConfig.Builder::totalMemories, PoolingAllocationConfig::totalMemories, 1000),
        count("totalTables", PoolingAllocationConfig.Builder::totalTables, PoolingAllocationConfig::totalTables, 1000),
        count("totalStacks", PoolingAllocationConfig.Builder::totalStacks, PoolingAllocationConfig::totalStacks, 1000),
        count("totalCoreInstances", PoolingAllocationConfig.Builder::totalCoreInstances, PoolingAllocationConfig::totalCoreInstances, 1000),
        bytes("maxCoreInstanceSize", PoolingAllocationConfig.Builder::maxCoreInstanceSize, PoolingAllocationConfig::maxCoreInstanceSize, 1L << 20),
        count("maxTablesPerModule", PoolingAllocationConfig.Builder::maxTablesPerModule, PoolingAllocationConfig::maxTablesPerModule, 1),
        count("tableElements", PoolingAllocationConfig.Builder::tableElements, PoolingAllocationConfig::tableElements, 20_000),
        count("maxMemoriesPerModule", PoolingAllocationConfig.Builder::maxMemoriesPerModule, PoolingAllocationConfig::maxMemoriesPerModule, 1),
        bytes("maxMemorySize", PoolingAllocationConfig.Builder::maxMemorySize, PoolingAllocationConfig::maxMemorySize, 32767L * 65536),
        count("maxMemoryProtectionKeys", PoolingAllocationConfig.Builder::maxMemoryProtectionKeys, PoolingAllocationConfig::maxMemoryProtectionKeys, 16),
        count("totalGcHeaps", PoolingAllocationConfig.Builder::totalGcHeaps, PoolingAllocationConfig::totalGcHeaps, 1000));
  }

  /* ---- defaults ---- */

  @ParameterizedTest(name = "{0}")
  @MethodSource("numericOptions")
  void defaults_wasmtimesButMaxMemorySizeChicorysLargestMemory(NumericOption option) {
    assertEquals(option.defaultValue(), option.getter().apply(PoolingAllocationConfig.defaults()));
  }

  @Test
  void defaults_memoryProtectionKeysDisabled() {
    assertEquals(
        MemoryProtectionKeys.DISABLE, PoolingAllocationConfig.defaults().memoryProtectionKeys());
  }

  /* ---- the wasmpool timeouts ---- */

  @Test
  void timeouts_defaultZero_negativeRejectedNamingOptionAndValue_printedInMillis() {
    PoolingAllocationConfig d = PoolingAllocationConfig.defaults();
    assertEquals(java.time.Duration.ZERO, d.acquireTimeout());
    assertEquals(java.time.Duration.ZERO, d.warmSlotIdleTimeout());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PoolingAllocationConfig.builder().acquireTimeout(java.time.Duration.ofMillis(-5)).build());
    assertEquals("acquireTimeout must not be negative (was -5ms)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PoolingAllocationConfig.builder().warmSlotIdleTimeout(java.time.Duration.ofSeconds(-1)).build());
    assertEquals("warmSlotIdleTimeout must not be negative (was -1000ms)", e.getMessage());
    assertThrows(NullPointerException.class, () -> PoolingAllocationConfig.builder().acquireTimeout(null).build());
    assertEquals(
        "PoolingAllocationConfig{acquireTimeout=250ms, warmSlotIdleTimeout=30000ms}",
        PoolingAllocationConfig.builder()
            .acquireTimeout(java.time.Duration.ofMillis(250))
            .warmSlotIdleTimeout(java.time.Duration.ofSeconds(30))
            .build()
            .toString());
  }

  @Test
  void defaults_equalAFreshBuild() {
    assertEquals(PoolingAllocationConfig.defaults(), PoolingAllocationConfig.builder().build());
    assertEquals("PoolingAllocationConfig{}", PoolingAllocationConfig.defaults().toString());
  }

  /* ---- setters ---- */

  @ParameterizedTest(name = "{0}")
  @MethodSource("numericOptions")
  void build_negative_throwsNamingOptionAndValue(NumericOption option) {
    PoolingAllocationConfig.Builder builder = PoolingAllocationConfig.builder();
    option.setter().accept(builder, -1L);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    String constraint =
        option.name().equals("maxMemoryProtectionKeys") ? "must be positive" : "must not be negative";
    assertEquals(
        option.name() + " " + constraint + " (was -1" + (option.bytes() ? " bytes" : "") + ")",
        e.getMessage());
    option.setter().accept(builder, option.defaultValue());
    assertEquals(
        PoolingAllocationConfig.defaults(),
        builder.build(),
        "a failed build leaves the builder usable");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("numericOptions")
  void setter_valueIsKeptAndPrintedWithUnit(NumericOption option) {
    long value = option.defaultValue() + 7;
    PoolingAllocationConfig.Builder builder = PoolingAllocationConfig.builder();
    option.setter().accept(builder, value);
    PoolingAllocationConfig config = builder.build();
    assertEquals(value, option.getter().apply(config));
    assertEquals(
        "PoolingAllocationConfig{" + option.name() + "=" + value + (option.bytes() ? "B" : "") + "}",
        config.toString());
    assertNotEquals(PoolingAllocationConfig.defaults(), config);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("numericOptions")
  void setter_zero_isAcceptedExceptForProtectionKeyCount(NumericOption option) {
    PoolingAllocationConfig.Builder builder = PoolingAllocationConfig.builder();
    if (option.name().equals("maxMemoryProtectionKeys")) {
      option.setter().accept(builder, 0L);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
      assertEquals("maxMemoryProtectionKeys must be positive (was 0)", e.getMessage());
    } else {
      option.setter().accept(builder, 0L);
      assertEquals(0L, option.getter().apply(builder.build()));
    }
  }

  @Test
  void memoryProtectionKeys_null_throws() {
    NullPointerException e =
        assertThrows(
            NullPointerException.class,
            () -> PoolingAllocationConfig.builder().memoryProtectionKeys(null).build());
    assertEquals("memoryProtectionKeys", e.getMessage());
  }

  @Test
  void memoryProtectionKeys_setAndPrinted() {
    PoolingAllocationConfig config =
        PoolingAllocationConfig.builder().memoryProtectionKeys(MemoryProtectionKeys.AUTO).build();
    assertEquals(MemoryProtectionKeys.AUTO, config.memoryProtectionKeys());
    assertEquals("PoolingAllocationConfig{memoryProtectionKeys=AUTO}", config.toString());
  }

  @Test
  void setter_laterCallReplacesEarlier() {
    PoolingAllocationConfig config =
        PoolingAllocationConfig.builder().totalMemories(5).totalMemories(7).build();
    assertEquals(7, config.totalMemories());
  }

  /* ---- toString ---- */

  @Test
  void toString_listsOnlyChangedOptionsInDocumentationOrderWithBinaryUnits() {
    PoolingAllocationConfig config =
        PoolingAllocationConfig.builder()
            .maxMemorySize(64 << 10)
            .totalMemories(10)
            .linearMemoryKeepResident(761_927)
            .maxCoreInstanceSize(3L << 30)
            .build();
    assertEquals(
        "PoolingAllocationConfig{linearMemoryKeepResident=761927B, totalMemories=10,"
            + " maxCoreInstanceSize=3GiB, maxMemorySize=64KiB}",
        config.toString());
  }

  @Test
  void toString_optionSetToItsDefaultIsNotListed() {
    assertEquals(
        "PoolingAllocationConfig{}",
        PoolingAllocationConfig.builder().totalMemories(1000).build().toString());
  }

  /* ---- value semantics ---- */

  @ParameterizedTest(name = "{0}")
  @MethodSource("numericOptions")
  void equals_eachOptionTakesPart(NumericOption option) {
    PoolingAllocationConfig.Builder a = PoolingAllocationConfig.builder();
    PoolingAllocationConfig.Builder b = PoolingAllocationConfig.builder();
    option.setter().accept(a, 3L);
    option.setter().accept(b, 3L);
    assertEquals(a.build(), b.build());
    assertEquals(a.build().hashCode(), b.build().hashCode());
    option.setter().accept(b, 4L);
    assertNotEquals(a.build(), b.build());
  }

  @Test
  void equals_memoryProtectionKeysTakesPart() {
    assertNotEquals(
        PoolingAllocationConfig.defaults(),
        PoolingAllocationConfig.builder().memoryProtectionKeys(MemoryProtectionKeys.ENABLE).build());
  }

  @Test
  void equals_otherTypesAndNull() {
    PoolingAllocationConfig config = PoolingAllocationConfig.defaults();
    assertNotEquals(config, null);
    assertNotEquals(config, (Object) "PoolingAllocationConfig{}");
  }

  /* ---- toBuilder and build ---- */

  @Test
  void toBuilder_roundTripsEveryOption() {
    PoolingAllocationConfig.Builder builder = PoolingAllocationConfig.builder();
    long value = 11;
    for (NumericOption option : numericOptions()) {
      option.setter().accept(builder, value++);
    }
    builder.memoryProtectionKeys(MemoryProtectionKeys.ENABLE);
    PoolingAllocationConfig config = builder.build();
    assertEquals(config, config.toBuilder().build());
    assertNotSame(config, config.toBuilder().build());
  }

  @Test
  void toBuilder_changesDoNotReachTheOriginal() {
    PoolingAllocationConfig config = PoolingAllocationConfig.builder().totalMemories(3).build();
    PoolingAllocationConfig changed = config.toBuilder().totalMemories(4).build();
    assertEquals(3, config.totalMemories());
    assertEquals(4, changed.totalMemories());
  }

  @Test
  void build_leavesTheBuilderUnchanged() {
    PoolingAllocationConfig.Builder builder = PoolingAllocationConfig.builder().totalTables(9);
    PoolingAllocationConfig first = builder.build();
    assertEquals(first, builder.build());
    builder.totalTables(10);
    assertEquals(9, first.totalTables());
    assertEquals(10, builder.build().totalTables());
  }

  @Test
  void defaults_isOneSharedInstance() {
    assertSame(PoolingAllocationConfig.defaults(), PoolingAllocationConfig.defaults());
  }

  /* ---- cross-option rules ---- */

  @Test
  void build_tablePoolOverflow_throwsNamingTotalTables() {
    PoolingAllocationConfig.Builder builder =
        PoolingAllocationConfig.builder()
            .tableElements(Integer.MAX_VALUE)
            .totalTables(Integer.MAX_VALUE);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    assertEquals(
        "totalTables must be at most 536870912 when tableElements is 2147483647 (was 2147483647)",
        e.getMessage());
  }

  @Test
  void build_tablePoolAtTheLimit_isAccepted() {
    long limit = Long.MAX_VALUE / (8L * Integer.MAX_VALUE);
    PoolingAllocationConfig config =
        PoolingAllocationConfig.builder()
            .tableElements(Integer.MAX_VALUE)
            .totalTables((int) limit)
            .build();
    assertEquals(limit, config.totalTables());
    assertThrows(
        IllegalArgumentException.class,
        () -> config.toBuilder().totalTables((int) limit + 1).build());
  }

  @Test
  void build_zeroTableElements_allowsAnyTableCount() {
    assertEquals(
        Integer.MAX_VALUE,
        PoolingAllocationConfig.builder()
            .tableElements(0)
            .totalTables(Integer.MAX_VALUE)
            .build()
            .totalTables());
  }

  static Stream<Long> byteCounts() {
    return Stream.of(1L, 1023L, 1024L, 1025L, 1L << 40, Long.MAX_VALUE);
  }

  @ParameterizedTest
  @MethodSource("byteCounts")
  void toString_byteCountsAreExact(long bytes) {
    String text = PoolingAllocationConfig.builder().maxMemorySize(bytes).build().toString();
    String value = text.substring(text.indexOf('=') + 1, text.length() - 1);
    long unit =
        switch (value.replaceAll("[0-9]", "")) {
          case "B" -> 1;
          case "KiB" -> 1L << 10;
          case "MiB" -> 1L << 20;
          case "GiB" -> 1L << 30;
          case "TiB" -> 1L << 40;
          default -> throw new AssertionError(value);
        };
    assertEquals(bytes, Long.parseLong(value.replaceAll("[^0-9]", "")) * unit, value);
  }
}
