package dev.wasmpool.api.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The per-thread slot cache: one slot per platform thread, none for virtual ones, drained once. */
class ThreadSlotCacheTest {

  /** What a pool would keep: the slot and its resident bytes. */
  private record Kept(int slot, long residentBytes) implements ThreadSlotCache.Kept {}

  private final ThreadSlotCache<Kept> cache = new ThreadSlotCache<>();

  @Test
  void putTake_oneSlotPerThread_counted() {
    Kept first = new Kept(3, 4096);
    assertTrue(cache.put(first));
    assertFalse(cache.put(new Kept(4, 0)), "a thread keeps one slot");
    assertEquals(1, cache.keptSlots());
    assertEquals(4096, cache.keptBytes());
    assertSame(first, cache.take());
    assertNull(cache.take());
    assertEquals(0, cache.keptSlots());
    assertEquals(0, cache.keptBytes());
  }

  @Test
  void drain_takesEveryThreadsSlotOnce_andTakeBackThenFails() throws Exception {
    Kept mine = new Kept(1, 0);
    assertTrue(cache.put(mine));
    Thread other = Thread.ofPlatform().start(() -> cache.put(new Kept(2, 0)));
    other.join();
    List<Integer> drained = new ArrayList<>();
    assertTrue(cache.drain(kept -> drained.add(kept.slot())));
    assertEquals(2, drained.size());
    assertTrue(drained.containsAll(List.of(1, 2)));
    assertFalse(cache.drain(kept -> drained.add(kept.slot())), "nothing left");
    assertFalse(cache.takeBack(mine), "drained: the drainer has it");
    assertEquals(0, cache.keptSlots());
  }

  @Test
  void takeBack_returnsWhatThisThreadPut() {
    Kept mine = new Kept(5, 100);
    assertTrue(cache.put(mine));
    assertTrue(cache.takeBack(mine));
    assertFalse(cache.takeBack(mine));
    assertEquals(0, cache.keptBytes());
  }

  @Test
  void virtualThreads_keepNothing() throws Exception {
    AtomicReference<Boolean> kept = new AtomicReference<>();
    Thread.ofVirtual().start(() -> kept.set(cache.put(new Kept(1, 0)))).join();
    assertEquals(Boolean.FALSE, kept.get());
    assertEquals(0, cache.keptSlots());
  }

  @Test
  void endedThreadsSlot_isOfferedWhenANewThreadRegisters() throws Exception {
    Thread.ofPlatform().start(() -> cache.put(new Kept(7, 8))).join();
    assertEquals(1, cache.keptSlots());
    assertNull(cache.pollEnded(), "not pruned until a new thread registers");
    assertNull(cache.take()); // this thread registers now, pruning the ended one
    Kept ended = cache.pollEnded();
    assertEquals(7, ended == null ? -1 : ended.slot());
    assertEquals(0, cache.keptSlots());
    assertEquals(0, cache.keptBytes());
  }
}
