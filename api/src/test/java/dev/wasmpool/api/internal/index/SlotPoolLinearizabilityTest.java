package dev.wasmpool.api.internal.index;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.slots.SlotContents;
import dev.wasmpool.api.internal.slots.SlotPool;
import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.spi.DecommitBatch;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, point 3: multi-threaded histories of a {@link SlotPool}, each checked against the
 * single-lock reference model ({@link ReferenceIndexAllocator}): some sequential order of the
 * operations, consistent with their real-time order, must give every acquire exactly the slot it
 * got (or exhaustion). A per-thread cache or a sharded allocator that picks another slot than the
 * seed's rules fails this.
 *
 * <p>Four threads start together at a barrier and each runs a short random program of acquires
 * (with one of three affinities, or none) and releases of the slots it holds; every call is
 * stamped before and after. The check is a depth-first search over linearizations (Wing and
 * Gong), pruned by memoizing the (linearized set, model state) pairs already refuted.
 *
 * <p>Seeds are printed; {@code -Dwasmpool.seed=0x...} replays one history, {@code
 * -Dwasmpool.linearizability.histories=N} runs more.
 */
class SlotPoolLinearizabilityTest {

  private static final int THREADS = 4;
  private static final int OPS_PER_THREAD = 12;
  private static final int CAPACITY = 6;

  /** One call: what it asked, what it got, when it started and ended. */
  private record Op(int thread, boolean acquire, AffinityKey key, int slot, long start, long end) {}

  @Test
  void fourThreadHistories_everyOutcomeExplainedBySomeSequentialOrder() throws Exception {
    String forced = System.getProperty("wasmpool.seed");
    int histories = Integer.getInteger("wasmpool.linearizability.histories", 400);
    long base =
        forced != null
            ? Long.parseUnsignedLong(forced.strip().replaceFirst("^0[xX]", ""), 16)
            : new SplittableRandom().nextLong();
    if (forced != null) {
      histories = 1;
    }
    System.out.printf(
        Locale.ROOT,
        "SlotPoolLinearizabilityTest: %d histories of %d threads from seed 0x%x (replay one with"
            + " -Dwasmpool.seed=0x...)%n",
        histories,
        THREADS,
        base);
    int overlapping = 0;
    for (int h = 0; h < histories; h++) {
      long seed = base + h;
      SplittableRandom random = new SplittableRandom(seed);
      int budget = random.nextInt(4);
      List<Op> history = run(seed, budget);
      overlapping += overlaps(history) ? 1 : 0;
      if (!linearizable(history, budget)) {
        throw new AssertionError(
            String.format(
                Locale.ROOT,
                "history of seed 0x%x (maxUnusedWarmSlots %d) has no sequential explanation: %s",
                seed,
                budget,
                history));
      }
    }
    System.out.printf(Locale.ROOT, "SlotPoolLinearizabilityTest: %d of %d histories had overlapping calls%n", overlapping, histories);
    assertTrue(overlapping > 0, "no history had concurrent calls: the test checked nothing concurrent");
  }

  /** Runs one history on a fresh pool. */
  private static List<Op> run(long seed, int budget) throws Exception {
    FakeBackend backend = FakeBackend.linuxLike();
    DecommitQueue queue = new DecommitQueue(backend, 1);
    SlotPool pool = new SlotPool("memories", CAPACITY, budget, queue, new NoContents());
    AffinityKey[] keys = {new AffinityKey(1, 0), new AffinityKey(2, 0), new AffinityKey(3, 0), null};
    List<List<Op>> perThread = new ArrayList<>();
    // Started by a spinning countdown, not a parking barrier: the threads begin within
    // nanoseconds of each other, so their calls overlap.
    java.util.concurrent.atomic.AtomicInteger ready = new java.util.concurrent.atomic.AtomicInteger(THREADS);
    Thread[] threads = new Thread[THREADS];
    Throwable[] failure = new Throwable[1];
    for (int t = 0; t < THREADS; t++) {
      List<Op> ops = new ArrayList<>();
      perThread.add(ops);
      int thread = t;
      SplittableRandom random = new SplittableRandom(seed * 31 + t);
      threads[t] =
          Thread.ofPlatform()
              .start(
                  () -> {
                    try {
                      List<Integer> held = new ArrayList<>();
                      ready.decrementAndGet();
                      while (ready.get() > 0) {
                        Thread.onSpinWait();
                      }
                      for (int i = 0; i < OPS_PER_THREAD; i++) {
                        boolean acquire = held.isEmpty() || (held.size() < 3 && random.nextBoolean());
                        if (acquire) {
                          AffinityKey key = keys[random.nextInt(keys.length)];
                          long before = System.nanoTime();
                          int slot;
                          try {
                            slot = pool.acquire(key);
                          } catch (PoolExhaustedException e) {
                            slot = -1;
                          }
                          long after = System.nanoTime();
                          ops.add(new Op(thread, true, key, slot, before, after));
                          if (slot >= 0) {
                            held.add(slot);
                          }
                        } else {
                          int slot = held.remove(random.nextInt(held.size()));
                          long before = System.nanoTime();
                          pool.release(slot);
                          long after = System.nanoTime();
                          ops.add(new Op(thread, false, null, slot, before, after));
                        }
                      }
                    } catch (Throwable e) {
                      failure[0] = e;
                    }
                  });
    }
    for (Thread thread : threads) {
      thread.join();
    }
    if (failure[0] != null) {
      throw new AssertionError("a worker failed", failure[0]);
    }
    List<Op> all = new ArrayList<>();
    perThread.forEach(all::addAll);
    return all;
  }

  private static boolean overlaps(List<Op> history) {
    for (Op a : history) {
      for (Op b : history) {
        if (a.thread() != b.thread() && a.start() < b.end() && b.start() < a.end()) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean linearizable(List<Op> history, int budget) {
    return search(history, 0L, new ReferenceIndexAllocator(CAPACITY, budget), new HashSet<>());
  }

  /** Wing and Gong's search: try every minimal pending call as the next one in the order. */
  private static boolean search(List<Op> ops, long done, ReferenceIndexAllocator model, Set<String> refuted) {
    if (Long.bitCount(done) == ops.size()) {
      return true;
    }
    String memo = done + "|" + model.stateKey();
    if (refuted.contains(memo)) {
      return false;
    }
    long earliestEnd = Long.MAX_VALUE;
    for (int i = 0; i < ops.size(); i++) {
      if ((done & (1L << i)) == 0) {
        earliestEnd = Math.min(earliestEnd, ops.get(i).end());
      }
    }
    for (int i = 0; i < ops.size(); i++) {
      Op op = ops.get(i);
      if ((done & (1L << i)) != 0 || op.start() > earliestEnd) {
        continue; // done, or some pending call ended before this one began
      }
      ReferenceIndexAllocator next = model.copy();
      boolean explained = op.acquire() ? next.alloc(op.key()) == op.slot() : next.free(op.slot(), 0);
      if (explained && search(ops, done | (1L << i), next, refuted)) {
        return true;
      }
    }
    refuted.add(memo);
    return false;
  }

  /** Slots with nothing in them: resets keep nothing resident. */
  private static final class NoContents implements SlotContents {
    @Override
    public long reset(int slot) {
      return 0;
    }

    @Override
    public long reset(int slot, DecommitBatch deferred) {
      return 0;
    }

    @Override
    public void decommitFailed(int slot) {}

    @Override
    public long tenantBytes(int slot) {
      return 0;
    }

    @Override
    public void trim(int slot) {}

    @Override
    public long purge(int slot) {
      return 0;
    }
  }
}
