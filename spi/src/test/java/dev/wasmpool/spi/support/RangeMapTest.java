package dev.wasmpool.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link RangeMap}: examples, then random operations checked against an array model. */
class RangeMapTest {

  @Test
  void put_coalescing_mergesTouchingEqualRanges() {
    RangeMap<String> map = new RangeMap<>(true);
    map.put(0, 10, "a");
    map.put(10, 20, "a");
    map.put(20, 30, "b");
    assertEquals(2, map.size());
    assertTrue(map.covers(0, 30));
    assertEquals(20, map.endOf(0));
  }

  @Test
  void put_nonCoalescing_keepsEachRange() {
    RangeMap<String> map = new RangeMap<>(false);
    map.put(0, 10, "a");
    map.put(10, 20, "a");
    assertEquals(2, map.size());
    assertEquals("a", map.startingAt(10));
    assertNull(map.startingAt(5));
    assertEquals(-1, map.endOf(5));
  }

  @Test
  void remove_splitsRangesThatStickOut() {
    RangeMap<String> map = new RangeMap<>(true);
    map.put(0, 100, "a");
    map.remove(40, 60);
    assertTrue(map.covers(0, 40));
    assertFalse(map.covers(0, 41));
    assertFalse(map.overlaps(40, 60));
    assertTrue(map.overlaps(59, 61));
    assertEquals(40, map.endOf(0));
    assertEquals(100, map.endOf(60));
  }

  @Test
  void emptyRanges_areCoveredAndOverlapNothing() {
    RangeMap<String> map = new RangeMap<>(true);
    assertTrue(map.covers(5, 5));
    assertFalse(map.overlaps(5, 5));
    map.put(5, 5, "x");
    assertTrue(map.isEmpty());
  }

  @Test
  void randomOperations_matchArrayModel() {
    long seed = Long.getLong("wasmpool.seed", new Random().nextLong());
    String reproduce =
        "reproduce with: mvn -B -ntp verify -pl spi,MODULE -am -Dtest=RangeMapTest"
                .replace("MODULE", getClass().getModule().getName().replace("dev.wasmpool.", "impl-"))
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dwasmpool.seed="
            + seed
            + "; ";
    Random random = new Random(seed);
    for (boolean coalesce : new boolean[] {true, false}) {
      RangeMap<Integer> map = new RangeMap<>(coalesce);
      Integer[] model = new Integer[64];
      for (int step = 0; step < 5_000; step++) {
        int a = random.nextInt(65);
        int b = random.nextInt(65);
        int start = Math.min(a, b);
        int end = Math.max(a, b);
        switch (random.nextInt(3)) {
          case 0 -> {
            Integer value = random.nextInt(3);
            map.put(start, end, value);
            for (int i = start; i < end; i++) {
              model[i] = value;
            }
          }
          case 1 -> {
            map.remove(start, end);
            for (int i = start; i < end; i++) {
              model[i] = null;
            }
          }
          default -> {
            boolean covered = true;
            boolean any = false;
            for (int i = start; i < end; i++) {
              covered &= model[i] != null;
              any |= model[i] != null;
            }
            assertEquals(covered, map.covers(start, end), reproduce + " covers " + start + ".." + end);
            assertEquals(any, map.overlaps(start, end), reproduce + " overlaps " + start + ".." + end);
          }
        }
        Integer[] seen = new Integer[64];
        List<long[]> order = new ArrayList<>();
        map.forEach(
            (s, e, v) -> {
              order.add(new long[] {s, e});
              for (long i = s; i < e; i++) {
                seen[(int) i] = v;
              }
            });
        for (int i = 0; i < 64; i++) {
          assertTrue(Objects.equals(model[i], seen[i]), reproduce + " at " + i + ": " + map);
        }
        for (int i = 1; i < order.size(); i++) {
          assertTrue(order.get(i - 1)[1] <= order.get(i)[0], reproduce + " disjoint: " + map);
          if (coalesce && order.get(i - 1)[1] == order.get(i)[0]) {
            assertFalse(
                Objects.equals(seen[(int) order.get(i - 1)[0]], seen[(int) order.get(i)[0]]),
                reproduce + " coalesced: " + map);
          }
        }
      }
    }
  }
}
