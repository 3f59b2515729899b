package dev.wasmpool.api.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.internal.testing.Seeds;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

/**
 * Several threads allocate, free and purge at once while another checks the invariants; every
 * slot must have at most one holder, and the counts and resident bytes must add up afterwards.
 */
class IndexAllocatorConcurrencyTest {

  private static final int THREADS = 4;
  private static final int OPERATIONS_PER_THREAD = 40_000;
  private static final int CAPACITY = 12;

  @Test
  void concurrentOperations_conserveSlotsAndBytes() {
    Seeds.forEachSeed(
        IndexAllocatorConcurrencyTest.class,
        "concurrentOperations_conserveSlotsAndBytes",
        2,
        IndexAllocatorConcurrencyTest::run);
  }

  private static void run(long seed) {
    IndexAllocator allocator = new IndexAllocator(CAPACITY, 3);
    AtomicIntegerArray holder = new AtomicIntegerArray(CAPACITY);
    AtomicLongArray lastBytes = new AtomicLongArray(CAPACITY);
    AtomicBoolean done = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS + 1);
    try {
      List<Future<List<Integer>>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        long workerSeed = seed + t;
        int id = t + 1;
        workers.add(
            pool.submit(() -> work(allocator, holder, lastBytes, start, workerSeed, id)));
      }
      Future<Integer> checker =
          pool.submit(
              () -> {
                start.await();
                int checks = 0;
                // At least once: on a loaded machine the workers may all finish first.
                do {
                  allocator.checkInvariants();
                  checks++;
                } while (!done.get());
                return checks;
              });
      start.countDown();
      List<Integer> held = new ArrayList<>();
      for (Future<List<Integer>> worker : workers) {
        held.addAll(worker.get(2, TimeUnit.MINUTES));
      }
      done.set(true);
      assertTrue(checker.get(2, TimeUnit.MINUTES) > 0);

      allocator.checkInvariants();
      assertEquals(held.size(), allocator.liveSlots());
      for (int slot : held) {
        lastBytes.set(slot, 0);
        allocator.free(slot, 0);
      }
      allocator.checkInvariants();
      assertEquals(0, allocator.liveSlots());
      long expectedBytes = 0;
      for (int slot = 0; slot < CAPACITY; slot++) {
        expectedBytes += lastBytes.get(slot);
      }
      assertEquals(expectedBytes, allocator.unusedBytesResident());
      assertTrue(allocator.unusedWarmSlots() <= CAPACITY);
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      done.set(true);
      pool.shutdownNow();
    }
  }

  /** Random operations; returns the slots still held at the end. */
  private static List<Integer> work(
      IndexAllocator allocator,
      AtomicIntegerArray holder,
      AtomicLongArray lastBytes,
      CountDownLatch start,
      long seed,
      int id)
      throws InterruptedException {
    SplittableRandom random = new SplittableRandom(seed);
    List<Integer> held = new ArrayList<>();
    start.await();
    for (int op = 0; op < OPERATIONS_PER_THREAD; op++) {
      AffinityKey key = new AffinityKey(random.nextInt(6), 0);
      int choice = random.nextInt(10);
      if (choice < 5 && held.size() < 4) {
        int slot = allocator.alloc(random.nextInt(8) == 0 ? null : key);
        if (slot >= 0) {
          take(holder, slot, id);
          held.add(slot);
        }
      } else if (choice < 9 && !held.isEmpty()) {
        int slot = held.remove(random.nextInt(held.size()));
        long bytes = random.nextInt(4096);
        release(holder, slot, id);
        lastBytes.set(slot, bytes);
        allocator.free(slot, bytes);
      } else {
        int slot = allocator.allocAffineAndClearAffinity(key);
        if (slot >= 0) {
          take(holder, slot, id);
          assertNull(allocator.affinityOf(slot), "a used slot reports no affinity");
          release(holder, slot, id);
          lastBytes.set(slot, 0);
          allocator.free(slot, 0);
        }
      }
    }
    return held;
  }

  private static void take(AtomicIntegerArray holder, int slot, int id) {
    int previous = holder.getAndSet(slot, id);
    if (previous != 0) {
      throw new AssertionError("slot " + slot + " handed to " + id + " while held by " + previous);
    }
  }

  private static void release(AtomicIntegerArray holder, int slot, int id) {
    if (!holder.compareAndSet(slot, id, 0)) {
      throw new AssertionError("slot " + slot + " released by " + id + " but not held by it");
    }
  }
}
