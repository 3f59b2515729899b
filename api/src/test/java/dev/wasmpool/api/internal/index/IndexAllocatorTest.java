package dev.wasmpool.api.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.internal.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IndexAllocatorTest {

  private static final AffinityKey ID1 = new AffinityKey(1, 0);
  private static final AffinityKey ID2 = new AffinityKey(2, 0);
  private static final AffinityKey ID3 = new AffinityKey(3, 0);
  private static final AffinityKey ID4 = new AffinityKey(4, 0);

  /**
   * Allocates two slots for {@code key} (may be null), then frees both with no bytes resident: the
   * first one first, or the second one first.
   *
   * @return the two slots in the order they were freed
   */
  private static List<Integer> allocTwoThenFree(
      IndexAllocator allocator, AffinityKey key, boolean secondFirst) {
    int first = allocator.alloc(key);
    int second = allocator.alloc(key);
    List<Integer> freed = secondFirst ? List.of(second, first) : List.of(first, second);
    for (int slot : freed) {
      allocator.free(slot, 0);
    }
    return freed;
  }

  /** An allocator whose slot 0 was used by {@code ID1} and freed: one warm slot, affine to it. */
  private static IndexAllocator withSlot0WarmForId1(int capacity, int maxUnusedWarmSlots) {
    IndexAllocator allocator = new IndexAllocator(capacity, maxUnusedWarmSlots);
    assertEquals(0, allocator.alloc(ID1));
    allocator.free(0, 0);
    return allocator;
  }

  /**
   * Allocates for {@code ID1}, then {@code ID2}, and frees both in that order with the given
   * resident bytes.
   *
   * @return the two slots
   */
  private static int[] warmTwo(IndexAllocator allocator, long firstResident, long secondResident) {
    int first = allocator.alloc(ID1);
    int second = allocator.alloc(ID2);
    allocator.free(first, firstResident);
    allocator.free(second, secondResident);
    return new int[] {first, second};
  }

  private static void freeAll(IndexAllocator allocator, int... slots) {
    for (int slot : slots) {
      allocator.free(slot, 0);
    }
  }

  /* ---- next-available ---- */

  @Test
  void affinityList_emptiedByATake_staysForTheNextFree_andGoesWithThePurge() {
    IndexAllocator allocator = new IndexAllocator(4, 2);
    for (int round = 0; round < 3; round++) {
      int slot = allocator.alloc(ID1);
      assertEquals(0, slot, "the affine slot every round");
      allocator.free(slot, 0);
      allocator.checkInvariants();
    }
    int taken = allocator.alloc(ID1);
    assertEquals(1, allocator.affinityLists(), "the emptied list is kept while the module lives");
    allocator.free(taken, 0);
    int purged = allocator.allocAffineAndClearAffinity(ID1);
    allocator.free(purged, 0);
    assertEquals(-1, allocator.allocAffineAndClearAffinity(ID1));
    assertEquals(0, allocator.affinityLists(), "the purge leaves no list behind");
    allocator.checkInvariants();
  }

  @Test
  void alloc_withoutAffinity_handsOutSlotsInOrderThenFails() {
    IndexAllocator allocator = new IndexAllocator(10, 0);
    for (int i = 0; i < 10; i++) {
      assertEquals(i, allocator.alloc(null));
    }
    assertEquals(-1, allocator.alloc(null));
    assertEquals(-1, allocator.alloc(ID1));
    assertEquals(10, allocator.liveSlots());
    allocator.checkInvariants();
  }

  @Test
  void alloc_capacityZero_alwaysFails() {
    IndexAllocator allocator = new IndexAllocator(0, 5);
    assertEquals(-1, allocator.alloc(ID1));
    assertEquals(-1, allocator.allocAffineAndClearAffinity(ID1));
    allocator.checkInvariants();
  }

  /* ---- affinity and the warm budget ---- */

  @Test
  void alloc_affinityThreshold() {
    // Give slots 0 and 1 affinities.
    IndexAllocator allocator = withSlot0WarmForId1(10, 2);
    assertEquals(1, allocator.alloc(ID2));
    allocator.free(1, 0);

    // Two warm slots reach the budget: a new module recycles the least recently used one.
    assertEquals(0, allocator.alloc(ID3));
    allocator.free(0, 0);

    // ID2 finds its slot again.
    assertEquals(1, allocator.alloc(ID2));

    // One warm slot left, below the budget: ID1 (whose slot went to ID3) gets a cold slot.
    assertEquals(2, allocator.alloc(ID1));

    freeAll(allocator, 1, 2);

    // Everything stays affine.
    assertEquals(2, allocator.alloc(ID1));
    assertEquals(1, allocator.alloc(ID2));
    assertEquals(0, allocator.alloc(ID3));

    freeAll(allocator, 1, 2, 0);
    assertEquals(List.of(1, 2, 0), allocator.warmSlotsOldestFirst());

    // Three warm slots, over the budget: the least recently used goes to a new module, then the
    // next; with one warm slot left (under the budget) a cold slot is used and slot 0 is kept.
    assertEquals(1, allocator.alloc(ID4));
    assertEquals(2, allocator.alloc(ID4));
    assertEquals(3, allocator.alloc(ID4));

    freeAll(allocator, 1, 2, 3);

    // ID3 is still affine to slot 0.
    assertEquals(0, allocator.alloc(ID3));
    allocator.checkInvariants();
  }

  @Test
  void alloc_affine_takesTheMostRecentlyFreedSlot() {
    IndexAllocator allocator = new IndexAllocator(10, 10);
    List<Integer> freed = allocTwoThenFree(allocator, ID1, false);
    assertEquals(freed, allocator.warmSlotsOldestFirst());
    assertEquals(freed.get(1), allocator.alloc(ID1));
    assertEquals(freed.get(0), allocator.alloc(ID1));
    allocator.checkInvariants();
  }

  @Test
  void free_orderOfTheWarmList() {
    IndexAllocator allocator = new IndexAllocator(10, 10);
    List<Integer> freed = allocTwoThenFree(allocator, null, true);
    assertEquals(List.of(1, 0), freed);
    assertEquals(freed, allocator.warmSlotsOldestFirst());
  }

  @Test
  void alloc_budgetZero_reusesWarmBeforeCold() {
    IndexAllocator allocator = withSlot0WarmForId1(10, 0);
    // Any module gets the warm slot; cold slots are touched only when no warm slot is free.
    assertEquals(0, allocator.alloc(ID2));
    assertEquals(1, allocator.alloc(ID3));
    allocator.checkInvariants();
  }

  @Test
  void alloc_largeBudget_prefersColdSlots() {
    IndexAllocator allocator = withSlot0WarmForId1(3, Integer.MAX_VALUE);
    assertEquals(1, allocator.alloc(ID2));
    assertEquals(2, allocator.alloc(ID3));
    // No cold slot left: the warm one, affine to another module, is taken.
    assertEquals(0, allocator.alloc(ID4));
    assertEquals(-1, allocator.alloc(ID1));
  }

  @Test
  void alloc_withoutAffinity_neverTakesTheAffinePath() {
    IndexAllocator allocator = withSlot0WarmForId1(4, 4);
    // Under the budget: a key-less allocation goes cold even though slot 0 is warm.
    assertEquals(1, allocator.alloc(null));
    allocator.free(1, 0);
    assertNull(allocator.affinityOf(1));
    assertEquals(ID1, allocator.affinityOf(0));
  }

  /* ---- clearing affinity on module drop ---- */

  @ParameterizedTest(name = "maxUnusedWarmSlots={0}")
  @ValueSource(ints = {0, 1, 2})
  void allocAffineAndClearAffinity_returnsEachAffineSlotOnce(int maxUnusedWarmSlots) {
    IndexAllocator allocator = new IndexAllocator(100, maxUnusedWarmSlots);
    allocTwoThenFree(allocator, ID1, true);
    assertTrue(allocator.allocAffineAndClearAffinity(ID1) >= 0);
    assertTrue(allocator.allocAffineAndClearAffinity(ID1) >= 0);
    assertEquals(-1, allocator.allocAffineAndClearAffinity(ID1));
    allocator.checkInvariants();
  }

  @Test
  void allocAffineAndClearAffinity_freedSlotIsWarmWithoutAffinityAtTheRecentEnd() {
    IndexAllocator allocator = new IndexAllocator(10, 10);
    int[] warm = warmTwo(allocator, 100, 200);
    int a = warm[0];
    int b = warm[1];
    assertEquals(300, allocator.unusedBytesResident());

    int purged = allocator.allocAffineAndClearAffinity(ID1);
    assertEquals(a, purged);
    assertEquals(1, allocator.liveSlots());
    assertEquals(200, allocator.unusedBytesResident());
    assertNull(allocator.affinityOf(a), "a used slot reports no affinity");
    allocator.free(purged, 0);

    assertNull(allocator.affinityOf(a));
    assertEquals(List.of(b, a), allocator.warmSlotsOldestFirst());
    assertEquals(-1, allocator.allocAffineAndClearAffinity(ID1));
    // ID1 has no affine slot any more: it gets a cold one (under the budget).
    assertEquals(2, allocator.alloc(ID1));
    allocator.checkInvariants();
  }

  @Test
  void allocAffineAndClearAffinity_ignoresSlotsInUse() {
    IndexAllocator allocator = new IndexAllocator(10, 10);
    allocator.alloc(ID1);
    assertEquals(-1, allocator.allocAffineAndClearAffinity(ID1));
  }

  @Test
  void allocAffineAndClearAffinity_keysDifferByMemoryIndex() {
    IndexAllocator allocator = new IndexAllocator(10, 10);
    int slot = allocator.alloc(new AffinityKey(7, 0));
    allocator.free(slot, 0);
    assertEquals(-1, allocator.allocAffineAndClearAffinity(new AffinityKey(7, 1)));
    assertEquals(slot, allocator.allocAffineAndClearAffinity(new AffinityKey(7, 0)));
  }

  /* ---- accounting ---- */

  @Test
  void unusedBytesResident_followsWarmSlots() {
    IndexAllocator allocator = new IndexAllocator(4, 4);
    int a = warmTwo(allocator, 4096, 65536)[0];
    assertEquals(2, allocator.unusedWarmSlots());
    assertEquals(4096 + 65536, allocator.unusedBytesResident());
    assertEquals(a, allocator.alloc(ID1));
    assertEquals(65536, allocator.unusedBytesResident());
    assertEquals(1, allocator.unusedWarmSlots());
    allocator.checkInvariants();
  }

  /* ---- misuse ---- */

  @Test
  void free_twice_throwsAndKeepsState() {
    IndexAllocator allocator = withSlot0WarmForId1(4, 4);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> allocator.free(0, 0));
    assertEquals("slot 0 is not in use (it is unused warm)", e.getMessage());
    IllegalStateException cold =
        assertThrows(IllegalStateException.class, () -> allocator.free(3, 0));
    assertEquals("slot 3 is not in use (it is unused cold)", cold.getMessage());
    assertEquals(1, allocator.unusedWarmSlots());
    allocator.checkInvariants();
  }

  @Test
  void free_outOfRangeOrNegativeBytes_throws() {
    IndexAllocator allocator = new IndexAllocator(4, 4);
    int slot = allocator.alloc(null);
    assertThrows(IndexOutOfBoundsException.class, () -> allocator.free(4, 0));
    assertThrows(IndexOutOfBoundsException.class, () -> allocator.free(-1, 0));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> allocator.free(slot, -1));
    assertEquals("bytesResident must not be negative (was -1)", e.getMessage());
    assertEquals(1, allocator.liveSlots());
    assertThrows(IndexOutOfBoundsException.class, () -> allocator.affinityOf(4));
  }

  @Test
  void constructor_negativeArguments_throw() {
    assertEquals(
        "capacity must not be negative (was -1)",
        assertThrows(IllegalArgumentException.class, () -> new IndexAllocator(-1, 0)).getMessage());
    assertEquals(
        "maxUnusedWarmSlots must not be negative (was -2)",
        assertThrows(IllegalArgumentException.class, () -> new IndexAllocator(1, -2)).getMessage());
  }

  /* ---- random ---- */

  @Test
  void alloc_random_tenModulesHitTheirSlotsOften() {
    Seeds.forEachSeed(
        IndexAllocatorTest.class,
        "alloc_random_tenModulesHitTheirSlotsOften",
        1,
        seed -> {
          SplittableRandom random = new SplittableRandom(seed);
          List<AffinityKey> keys = new ArrayList<>();
          for (int m = 0; m < 10; m++) {
            keys.add(new AffinityKey(m, 0));
          }
          IndexAllocator allocator = new IndexAllocator(1000, 1000);
          List<Integer> allocated = new ArrayList<>();
          AffinityKey[] lastKey = new AffinityKey[1000];
          int operations = 100_000;
          int hits = 0;
          for (int op = 0; op < operations; op++) {
            while (true) {
              if (random.nextBoolean()) {
                AffinityKey key = keys.get(random.nextInt(keys.size()));
                int slot = allocator.alloc(key);
                if (slot >= 0) {
                  if (key.equals(lastKey[slot])) {
                    hits++;
                  }
                  lastKey[slot] = key;
                  allocated.add(slot);
                  break;
                }
              } else if (!allocated.isEmpty()) {
                int i = random.nextInt(allocated.size());
                int slot = allocated.get(i);
                allocated.set(i, allocated.get(allocated.size() - 1));
                allocated.remove(allocated.size() - 1);
                allocator.free(slot, 0);
                break;
              }
            }
          }
          assertTrue(hits > operations / 5, "affine hits " + hits + " of " + operations);
          allocator.checkInvariants();
        });
  }
}
