package dev.wasmpool.api.internal.decommit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DecommitQueueTest {

  private final List<String> done = new ArrayList<>();

  private DecommitQueue.PendingReset reset(String name, int regions) {
    return new DecommitQueue.PendingReset() {
      @Override
      public int decommitRegions() {
        return regions;
      }

      @Override
      public void resetAndRelease() {
        done.add(name);
      }
    };
  }

  @Test
  void batchSizeOneOrZero_runsAtOnce() {
    for (int batch : new int[] {0, 1}) {
      done.clear();
      DecommitQueue queue = new DecommitQueue(batch);
      assertTrue(queue.immediate());
      queue.submit(reset("a", 1));
      assertEquals(List.of("a"), done);
      assertEquals(0, queue.pendingResets());
    }
  }

  @Test
  void batchSizeThree_flushesWhenRegionsReachIt() {
    DecommitQueue queue = new DecommitQueue(3);
    queue.submit(reset("a", 1));
    queue.submit(reset("b", 1));
    assertEquals(List.of(), done);
    assertEquals(2, queue.pendingRegions());
    queue.submit(reset("c", 2));
    assertEquals(List.of("a", "b", "c"), done);
    assertEquals(0, queue.pendingResets());
  }

  @Test
  void nothingToDecommit_runsAtOnceEvenWhenBatching() {
    DecommitQueue queue = new DecommitQueue(10);
    queue.submit(reset("kept", 0));
    assertEquals(List.of("kept"), done);
  }

  @Test
  void flush_runsPendingAndReportsWhetherItDidAnything() {
    DecommitQueue queue = new DecommitQueue(99);
    assertFalse(queue.flush());
    queue.submit(reset("a", 1));
    assertTrue(queue.flush());
    assertEquals(List.of("a"), done);
    assertFalse(queue.flush());
  }

  @Test
  void negativeBatch_rejected() {
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new DecommitQueue(-1));
    assertEquals("decommitBatchSize must not be negative (was -1)", e.getMessage());
  }
}
