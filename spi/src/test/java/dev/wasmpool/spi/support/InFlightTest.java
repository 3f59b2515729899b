package dev.wasmpool.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Closing waits for the operations in flight and refuses new ones. */
class InFlightTest {

  @Test
  void close_waitsForARunningOperation_thenRefusesNewOnes() throws Exception {
    InFlight inFlight = new InFlight();
    int running = inFlight.enter();
    assertTrue(running >= 0);
    AtomicBoolean closed = new AtomicBoolean();
    CountDownLatch closing = new CountDownLatch(1);
    Thread closer =
        Thread.ofPlatform()
            .start(
                () -> {
                  closing.countDown();
                  closed.set(inFlight.close());
                });
    closing.await();
    closer.join(200);
    assertTrue(closer.isAlive(), "close waits while an operation runs");
    assertFalse(closed.get());
    inFlight.exit(running);
    closer.join(TimeUnit.SECONDS.toMillis(10));
    assertFalse(closer.isAlive());
    assertTrue(closed.get());
    assertEquals(-1, inFlight.enter(), "no operation starts once closing began");
    assertFalse(inFlight.close(), "a second close is reported");
  }

  @Test
  void operationsFromManyThreads_balance() throws Exception {
    InFlight inFlight = new InFlight();
    Thread[] threads = new Thread[2 * Lanes.COUNT + 1];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 0; i < 10_000; i++) {
                      inFlight.exit(inFlight.enter());
                    }
                  });
    }
    for (Thread thread : threads) {
      thread.join();
    }
    assertTrue(inFlight.close(), "nothing left in flight: close returns at once");
  }
}
