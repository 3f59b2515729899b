package dev.wasmpool.api.internal.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MappingBudgetTest {

  /** A budget whose process has {@code inUse} mappings, none inside a pool. */
  private static MappingBudget budget(long limit, long inUse) {
    List<String> maps = Collections.nCopies((int) inUse, "55d0c0000000-55d0c0001000 r--p 00000000 08:01 1 /usr/bin/java");
    return new MappingBudget(() -> OptionalLong.of(limit), () -> maps);
  }

  @Test
  void mapCount_imageNotAtBase_fourMappingsPerSlotCounted() {
    // Issue 12 item 1: 21000 slots were accepted at 3 mappings each ("21,842 would fit"), but an
    // image after the slot's base splits a slot into 4, and the JVM aborted near 16,000 instances.
    MappingBudget budget = budget(65530, 500);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> budget.claim(21000, 0));
    assertEquals(
        "totalMemories must be at most 15233 for the pools' mappings to fit vm.max_map_count=65530"
            + " (was 21000): the pools may need 84002 mappings (4 per memory slot, 2 per table slot"
            + " for 0 tables, 2 guards), the process has 500, other engines claim 0 and 4096 are"
            + " left for the JVM; lower totalMemories or totalTables, or raise vm.max_map_count",
        e.getMessage());
    assertEquals(0, budget.claimed());
    // The count the message names is the exact boundary.
    try (MappingBudget.Claim claim = budget.claim(15233, 0)) {
      assertEquals(4 * 15233 + 2, claim.mappings());
    }
  }

  @Test
  void mapCount_tablesCountToo() {
    MappingBudget budget = budget(10_000, 0);
    assertThrows(IllegalArgumentException.class, () -> budget.claim(1000, 1000));
    budget.claim(1000, 900).close();
  }

  @Test
  void mapCount_otherEnginesClaims_countUntilClosed() {
    MappingBudget budget = budget(10_000, 100);
    MappingBudget.Claim first = budget.claim(1000, 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> budget.claim(1000, 0));
    assertEquals(
        "totalMemories must be at most 450 ",
        e.getMessage().substring(0, "totalMemories must be at most 450 ".length()));
    first.close();
    first.close();
    assertEquals(0, budget.claimed(), "a claim is given back once");
    budget.claim(1000, 0).close();
  }

  @Test
  void mapCount_mappingsInsideAClaimedPool_countedOnceByItsClaim() {
    List<String> maps = new ArrayList<>();
    for (long page = 0; page < 5000; page++) {
      // A busy pool's reservation at 0x7f0000000000, split into 5000 mappings.
      long start = 0x7f0000000000L + page * 0x1000;
      maps.add(Long.toHexString(start) + "-" + Long.toHexString(start + 0x1000) + " rw-p 00000000 00:00 0");
    }
    maps.add("7f0000000000-7f0100000000 ---p 00000000 00:00 0"); // straddles the end: the process's
    MappingBudget budget = new MappingBudget(() -> OptionalLong.of(20_000), () -> maps);
    MappingBudget.Claim busy = budget.claim(2000, 0);
    busy.cover(0x7f0000000000L, 5000 * 0x1000L);
    // 20000 - 1 - 8002 - 4096 = 7901 left: 1974 slots; counting the pool's 5000 again would leave 724.
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> budget.claim(2000, 0));
    assertTrue(e.getMessage().startsWith("totalMemories must be at most 1974 "), e.getMessage());
    assertTrue(e.getMessage().contains("the process has 1, other engines claim 8002"), e.getMessage());
    busy.close();
    budget.claim(2000, 0).close();
  }

  @Test
  void mapCount_unknownLimit_nothingChecked() {
    MappingBudget budget = new MappingBudget(OptionalLong::empty, List::of);
    try (MappingBudget.Claim claim = budget.claim(Integer.MAX_VALUE, Integer.MAX_VALUE)) {
      assertEquals(budget.claimed(), claim.mappings());
    }
  }
}
