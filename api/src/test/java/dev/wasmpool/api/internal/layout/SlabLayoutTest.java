package dev.wasmpool.api.internal.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.testing.Seeds;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlabLayoutTest {

  private static final long KIB = 1L << 10;
  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;
  private static final long PAGE = 4096;

  /* ---- worked examples ---- */

  /** Chicory's largest memory, {@code Memory.RUNTIME_MAX_PAGES} pages: the default reservation. */
  private static final long CHICORY_MAX_BYTES = 32767 * 64 * KIB;

  @Test
  void calculate_defaults_slotsOfChicorysLargestMemoryPlusGuard_2GiB() {
    SlabLayout s = SlabLayout.calculate(SlabConstraints.of(EngineConfig.defaults(), 0, PAGE));
    assertEquals(new SlabLayout(1000, 2 * GIB, 64 * KIB, 0, 1), s);
    assertEquals(CHICORY_MAX_BYTES + 64 * KIB, s.slotBytes(), "32767 pages plus a 64 KiB guard");
    assertEquals(64 * KIB + 1000 * 2 * GIB, s.totalSlabBytes());
    assertEquals(1.95, s.totalSlabBytes() / (double) (1L << 40), 0.005, "about 1.95 TiB");
  }

  @Test
  void calculate_wasmtimeSizes_4GiBPlus32MiB() {
    SlabLayout s = SlabLayout.calculate(new SlabConstraints(4 * GIB, 4 * GIB, 1000, 32 * MIB, true, 0, PAGE));
    assertEquals(new SlabLayout(1000, 4 * GIB + 32 * MIB, 32 * MIB, 0, 1), s);
    assertEquals(3.94, s.totalSlabBytes() / (double) (1L << 40), 0.005, "about 3.94 TiB");
  }

  @Test
  void calculate_fifteenKeysAnd128MiB_stripes() {
    EngineConfig config =
        EngineConfig.builder()
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder().maxMemorySize(128 * MIB).build()))
            .build();
    SlabLayout s = SlabLayout.calculate(SlabConstraints.of(config, 15, PAGE));
    assertEquals(15, s.numStripes());
    // ceil(2 GiB / 15) rounded up to a page.
    assertEquals(143_167_488L, s.slotBytes());
    assertEquals(64 * KIB, s.preSlabGuardBytes());
    assertEquals(2 * GIB - 143_167_488L, s.postSlabGuardBytes());
    assertEquals(0.13, s.totalSlabBytes() / (double) (1L << 40), 0.005, "about 0.13 TiB in one slab");
    assertEquals(14, s.stripeOf(14));
    assertEquals(0, s.stripeOf(15));
  }

  @Test
  void calculate_memoryPool_fiveSlotsOf64KiBWithoutGuard() {
    SlabLayout s = SlabLayout.calculate(new SlabConstraints(65536, 65536, 5, 0, true, 0, PAGE));
    assertEquals(65536, s.slotBytes());
    assertEquals(1, s.numStripes());
    assertEquals(0, s.preSlabGuardBytes());
    assertEquals(0, s.postSlabGuardBytes());
    for (int i = 0; i < 5; i++) {
      assertEquals(i * 65536L, s.slotOffset(i));
    }
    assertEquals(5 * 65536L, s.totalSlabBytes());
    assertThrows(IndexOutOfBoundsException.class, () -> s.slotOffset(5));
    assertThrows(IndexOutOfBoundsException.class, () -> s.slotOffset(-1));
  }

  @Test
  void calculate_roundsInputsUpToPages() {
    SlabLayout s = SlabLayout.calculate(new SlabConstraints(761_927, 761_927, 2, 1, false, 0, PAGE));
    long rounded = 761_927 + PAGE - 761_927 % PAGE;
    assertEquals(rounded + PAGE, s.slotBytes());
    assertEquals(0, s.preSlabGuardBytes());
  }

  /* ---- overflow ---- */

  @Test
  void calculate_overflow_throwsWasmtimeText() {
    IllegalArgumentException reservation =
        assertThrows(
            IllegalArgumentException.class,
            () -> SlabLayout.calculate(new SlabConstraints(Long.MAX_VALUE, 0, 1, 0, false, 0, PAGE)));
    assertEquals("total size of memory reservation exceeds addressable memory", reservation.getMessage());
    IllegalArgumentException slots =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SlabLayout.calculate(
                    new SlabConstraints(4 * GIB, 4 * GIB, Integer.MAX_VALUE, 32 * MIB, true, 0, PAGE)));
    assertEquals("total size of memory reservation exceeds addressable memory", slots.getMessage());
  }

  @Test
  void constraints_invalidValues_throw() {
    assertEquals(
        "pageSize must be a positive power of two (was 3000)",
        assertThrows(IllegalArgumentException.class, () -> new SlabConstraints(0, 0, 0, 0, true, 0, 3000))
            .getMessage());
    assertEquals(
        "numSlots must not be negative (was -1)",
        assertThrows(IllegalArgumentException.class, () -> new SlabConstraints(0, 0, -1, 0, true, 0, PAGE))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SlabConstraints(-1, 0, 0, 0, true, 0, PAGE));
    assertThrows(IllegalArgumentException.class, () -> new SlabLayout(1, 1, 0, 0, 0));
  }

  @Test
  void constraints_of_onDemandConfig_throws() {
    EngineConfig onDemand =
        EngineConfig.builder().allocationStrategy(AllocationStrategy.onDemand()).build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SlabConstraints.of(onDemand, 0, PAGE));
    assertEquals(
        "allocationStrategy must be pooling for a memory pool (was onDemand())", e.getMessage());
  }

  /* ---- invariants ---- */

  @Test
  void calculate_sweep_keepsEveryInvariant() {
    int checked = 0;
    for (int pkeys = 0; pkeys <= 16; pkeys++) {
      for (int slots : new int[] {0, 1, 10, 64}) {
        for (long expected : new long[] {0, GIB, 4 * GIB}) {
          for (long maxMemory : new long[] {0, 64 * KIB, 640 * KIB}) {
            for (long guard : new long[] {0, 2 * GIB}) {
              for (boolean guardBefore : new boolean[] {true, false}) {
                SlabConstraints c =
                    new SlabConstraints(expected, maxMemory, slots, guard, guardBefore, pkeys, PAGE);
                checkInvariants(c, SlabLayout.calculate(c), true);
                checked++;
              }
            }
          }
        }
      }
    }
    assertEquals(17 * 4 * 3 * 3 * 2 * 2, checked);
  }

  @Test
  void calculate_randomConstraints_keepEveryInvariant() {
    Seeds.forEachSeed(
        SlabLayoutTest.class,
        "calculate_randomConstraints_keepEveryInvariant",
        20,
        seed -> {
          SplittableRandom random = new SplittableRandom(seed);
          for (int i = 0; i < 2_000; i++) {
            SlabConstraints c =
                new SlabConstraints(
                    size(random),
                    size(random),
                    random.nextInt(4) == 0 ? random.nextInt(3) : random.nextInt(5000),
                    size(random),
                    random.nextBoolean(),
                    random.nextInt(4) == 0 ? random.nextInt(100) : random.nextInt(17),
                    1L << (12 + random.nextInt(5)));
            SlabLayout s;
            try {
              s = SlabLayout.calculate(c);
            } catch (IllegalArgumentException e) {
              assertEquals(
                  "total size of memory reservation exceeds addressable memory", e.getMessage(), c.toString());
              continue;
            }
            checkInvariants(c, s, false);
          }
        });
  }

  /** A byte size: often zero, usually below 1 TiB, sometimes anywhere in a long. */
  private static long size(SplittableRandom random) {
    return switch (random.nextInt(8)) {
      case 0 -> 0;
      case 1 -> random.nextLong(Long.MAX_VALUE);
      case 2 -> random.nextLong(64 * KIB) * 64 * KIB;
      default -> random.nextLong(1L << 40);
    };
  }

  /**
   * The layout invariants. {@code sweep} adds the stripe bound that holds when the guard (not the
   * reservation) dominates the faulting region, true for every swept combination.
   */
  private static void checkInvariants(SlabConstraints c, SlabLayout s, boolean sweep) {
    String where = c + " => " + s;
    long page = c.pageSize();
    long expected = roundUp(c.expectedSlotBytes(), page);
    long maxMemory = roundUp(c.maxMemoryBytes(), page);
    long guard = roundUp(c.guardBytes(), page);
    long faultingRegion = Math.max(expected, maxMemory) + guard;

    assertEquals(c.numSlots(), s.numSlots(), where);
    assertEquals(
        s.totalSlabBytes(),
        s.preSlabGuardBytes() + s.slotBytes() * s.numSlots() + s.postSlabGuardBytes(),
        "inconsistent slab layout: " + where);
    assertTrue(s.slotBytes() >= c.maxMemoryBytes(), "slot is not big enough: " + where);
    assertEquals(0, s.slotBytes() % page, "slot not page-aligned: " + where);
    assertEquals(0, s.preSlabGuardBytes() % page, "pre guard not page-aligned: " + where);
    assertEquals(0, s.postSlabGuardBytes() % page, "post guard not page-aligned: " + where);
    assertEquals(c.guardBeforeSlots() ? guard : 0, s.preSlabGuardBytes(), "pre guard: " + where);

    assertTrue(s.numStripes() >= 1, "not enough stripes: " + where);
    if (c.numPkeysAvailable() == 0 || c.numSlots() == 0) {
      assertEquals(1, s.numStripes(), "expected one stripe: " + where);
    } else {
      assertTrue(s.numStripes() <= c.numPkeysAvailable(), "more stripes than keys: " + where);
      assertTrue(s.numStripes() <= c.numSlots(), "more stripes than slots: " + where);
    }
    if (c.numPkeysAvailable() > 1 && c.maxMemoryBytes() != 0) {
      long bound =
          sweep || expected <= maxMemory
              ? c.guardBytes() / c.maxMemoryBytes() + 2
              : Math.ceilDiv(faultingRegion, maxMemory);
      assertTrue(s.numStripes() <= bound, "more stripes than needed: " + where);
    }

    assertTrue(
        s.slotBytes() * s.numStripes() >= faultingRegion, "faulting region too small: " + where);
    assertTrue(
        s.slotBytes() + s.postSlabGuardBytes() >= c.expectedSlotBytes(),
        "last slot may allow out-of-bounds access: " + where);
    if (s.numSlots() > 0) {
      long lastRegionEnd = s.slotOffset(s.numSlots() - 1) + faultingRegion;
      assertTrue(lastRegionEnd <= s.totalSlabBytes(), "last region leaves the slab: " + where);
      assertEquals(s.preSlabGuardBytes(), s.slotOffset(0), where);
    }
  }

  private static long roundUp(long bytes, long page) {
    return (bytes + page - 1) / page * page;
  }
}
