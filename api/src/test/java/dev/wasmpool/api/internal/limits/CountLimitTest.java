package dev.wasmpool.api.internal.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.PoolExhaustedException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class CountLimitTest {

  @Test
  void acquire_beyondLimit_throwsWithKindAndLimit() {
    CountLimit limit = new CountLimit("core instances", 2);
    limit.acquire();
    limit.acquire();
    PoolExhaustedException e = assertThrows(PoolExhaustedException.class, limit::acquire);
    assertEquals("maximum concurrent limit of 2 for core instances reached", e.getMessage());
    assertEquals("core instances", e.kind());
    assertEquals(2, e.limit());
    assertEquals(2, limit.live());
    limit.release();
    assertTrue(limit.tryAcquire());
  }

  @Test
  void limitZero_refusesEverything() {
    assertFalse(new CountLimit("fibers", 0).tryAcquire());
  }

  @Test
  void tryAcquire_concurrently_neverPassesTheLimit() throws InterruptedException {
    CountLimit limit = new CountLimit("tables", 5);
    AtomicInteger max = new AtomicInteger();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 20_000; i++) {
                  if (limit.tryAcquire()) {
                    max.accumulateAndGet(limit.live(), Math::max);
                    limit.release();
                  }
                }
              });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertTrue(max.get() <= 5, "max live " + max.get());
    assertEquals(0, limit.live());
  }
}
