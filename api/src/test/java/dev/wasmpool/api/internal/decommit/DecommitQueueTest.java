package dev.wasmpool.api.internal.decommit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.Reservation;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DecommitQueueTest {

  private final FakeBackend backend = FakeBackend.linuxLike();
  private final Reservation reservation = backend.reserve(64 * 4096);

  /** What the owner was told, in order: "free [slots]" or "failed slot". */
  private final List<String> told = new ArrayList<>();

  private final DecommitQueue.Owner owner =
      new DecommitQueue.Owner() {
        @Override
        public void decommitFailed(int slot) {
          told.add("failed " + slot);
        }

        @Override
        public void freeDecommitted(int[] slots, long[] residentBytes, int count) {
          StringBuilder sb = new StringBuilder("free");
          for (int i = 0; i < count; i++) {
            sb.append(' ').append(slots[i]).append('/').append(residentBytes[i]);
          }
          told.add(sb.toString());
        }
      };

  @AfterEach
  void close() {
    reservation.close();
    backend.close();
  }

  private DecommitBatch ranges(int... pages) {
    DecommitBatch batch = new DecommitBatch();
    for (int page : pages) {
      batch.add(reservation, page * 4096L, 4096);
    }
    return batch;
  }

  @Test
  void batchSizeOneOrZero_immediate() {
    assertTrue(new DecommitQueue(backend, 0).immediate());
    assertTrue(new DecommitQueue(backend, 1).immediate());
    assertFalse(new DecommitQueue(backend, 2).immediate());
  }

  @Test
  void batchSizeThree_oneDecommitCallWhenRangesReachIt_slotsFreedTogetherInOrder() {
    DecommitQueue queue = new DecommitQueue(backend, 3);
    queue.submit(owner, 7, 0, ranges(1));
    queue.submit(owner, 2, 4096, ranges(2));
    assertEquals(List.of(), told);
    assertEquals(0, backend.count("decommit"));
    assertEquals(2, queue.pendingRegions());
    assertEquals(2, queue.pendingResets());
    queue.submit(owner, 5, 0, ranges(3, 4));
    assertEquals(1, backend.count("decommit"), "four ranges, one call");
    assertEquals(List.of("free 7/0 2/4096 5/0"), told, "one call to the owner, in queue order");
    assertEquals(0, queue.pendingResets());
    assertEquals(1, queue.batches());
  }

  @Test
  void flush_decommitsPendingAndReportsWhetherItDidAnything() {
    DecommitQueue queue = new DecommitQueue(backend, 99);
    assertFalse(queue.flush());
    queue.submit(owner, 1, 0, ranges(1));
    assertTrue(queue.flush());
    assertEquals(List.of("free 1/0"), told);
    assertFalse(queue.flush());
    assertEquals(1, backend.count("decommit"));
  }

  @Test
  void decommitRefused_everySlotOfTheBatchMarkedThenStillFreed() {
    DecommitQueue queue = new DecommitQueue(backend, 2);
    backend.failNext("decommit", 1);
    queue.submit(owner, 3, 0, ranges(1));
    queue.submit(owner, 4, 0, ranges(2));
    assertEquals(List.of("failed 3", "failed 4", "free 3/0 4/0"), told);
  }

  @Test
  void negativeBatch_rejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new DecommitQueue(backend, -1));
    assertEquals("decommitBatchSize must not be negative (was -1)", e.getMessage());
  }
}
