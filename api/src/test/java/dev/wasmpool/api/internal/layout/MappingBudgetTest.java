package dev.wasmpool.api.internal.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class MappingBudgetTest {

  private static MappingBudget budget(long limit, long inUse) {
    return new MappingBudget(() -> OptionalLong.of(limit), () -> inUse);
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
  void mapCount_unknownLimit_nothingChecked() {
    MappingBudget budget = new MappingBudget(OptionalLong::empty, () -> 0);
    try (MappingBudget.Claim claim = budget.claim(Integer.MAX_VALUE, Integer.MAX_VALUE)) {
      assertEquals(budget.claimed(), claim.mappings());
    }
  }
}
