package dev.wasmpool.api.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wasmpool.api.internal.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random operation sequences on {@link IndexAllocator} and {@link ReferenceIndexAllocator} must
 * give the same slots, counts, warm order and affinities. 250 seeds of 600 operations each
 * (150 000 operations) per run; {@code -Dwasmpool.seed=...} replays one.
 */
class IndexAllocatorModelTest {

  private static final int SEEDS = 250;
  private static final int OPERATIONS_PER_SEED = 600;

  @Test
  void randomOperations_matchTheReferenceModel() {
    int[] operations = {0};
    Seeds.forEachSeed(
        IndexAllocatorModelTest.class,
        "randomOperations_matchTheReferenceModel",
        SEEDS,
        seed -> operations[0] += runSequence(seed));
    if (System.getProperty(Seeds.PROPERTY) == null) {
      assertEquals(SEEDS * OPERATIONS_PER_SEED, operations[0]);
    }
  }

  private static int runSequence(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int capacity = random.nextInt(4) == 0 ? random.nextInt(3) : 1 + random.nextInt(40);
    int budget =
        switch (random.nextInt(5)) {
          case 0 -> 0;
          case 1 -> 1;
          case 2 -> 2;
          case 3 -> Integer.MAX_VALUE;
          default -> random.nextInt(capacity + 3);
        };
    List<AffinityKey> keys = new ArrayList<>();
    int modules = 1 + random.nextInt(6);
    for (int m = 0; m < modules; m++) {
      keys.add(new AffinityKey(m, 0));
      if (random.nextBoolean()) {
        keys.add(new AffinityKey(m, 1));
      }
    }
    IndexAllocator real = new IndexAllocator(capacity, budget);
    ReferenceIndexAllocator model = new ReferenceIndexAllocator(capacity, budget);
    List<Integer> used = new ArrayList<>();
    String context = "capacity=" + capacity + " budget=" + budget;

    for (int op = 0; op < OPERATIONS_PER_SEED; op++) {
      String step = context + " op#" + op;
      int choice = random.nextInt(100);
      if (choice < 45) {
        AffinityKey key = random.nextInt(10) == 0 ? null : keys.get(random.nextInt(keys.size()));
        int slot = real.alloc(key);
        assertEquals(model.alloc(key), slot, step + " alloc(" + key + ")");
        if (slot >= 0) {
          used.add(slot);
        }
      } else if (choice < 85) {
        if (!used.isEmpty()) {
          int slot = used.remove(random.nextInt(used.size()));
          long bytes = random.nextBoolean() ? 0 : random.nextLong(1L << 20);
          model.free(slot, bytes);
          real.free(slot, bytes);
        }
      } else if (choice < 97) {
        AffinityKey key = keys.get(random.nextInt(keys.size()));
        int slot = real.allocAffineAndClearAffinity(key);
        assertEquals(model.allocAffineAndClearAffinity(key), slot, step + " clear(" + key + ")");
        if (slot >= 0) {
          if (random.nextInt(5) > 0) {
            model.free(slot, 0);
            real.free(slot, 0);
          } else {
            used.add(slot);
          }
        }
      } else if (capacity > 0) {
        int slot = random.nextInt(capacity);
        if (model.state(slot) != ReferenceIndexAllocator.State.USED) {
          assertThrows(IllegalStateException.class, () -> real.free(slot, 1), step + " misuse");
        }
      }
      compare(real, model, capacity, step);
    }
    return OPERATIONS_PER_SEED;
  }

  private static void compare(
      IndexAllocator real, ReferenceIndexAllocator model, int capacity, String step) {
    real.checkInvariants();
    assertEquals(model.liveSlots(), real.liveSlots(), step + " liveSlots");
    assertEquals(model.unusedWarmSlots(), real.unusedWarmSlots(), step + " unusedWarmSlots");
    assertEquals(
        model.unusedBytesResident(), real.unusedBytesResident(), step + " unusedBytesResident");
    assertEquals(model.warmSlotsOldestFirst(), real.warmSlotsOldestFirst(), step + " warm order");
    for (int slot = 0; slot < capacity; slot++) {
      assertEquals(model.affinityOf(slot), real.affinityOf(slot), step + " affinityOf " + slot);
    }
  }
}
