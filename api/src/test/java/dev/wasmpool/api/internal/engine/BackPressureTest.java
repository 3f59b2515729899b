package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.testing.FakeBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 14, point 4: {@code acquireTimeout}, a full pool makes instantiations wait in FIFO order. */
class BackPressureTest {

  private final FakeBackend backend = FakeBackend.linuxLike();
  private EngineImpl engine;

  @AfterEach
  void close() {
    if (engine != null) {
      closeAndCheck(engine, backend);
    }
  }

  private PooledModule poolOfOne(Duration timeout) {
    engine =
        engine(backend, smallPool().totalMemories(1).totalCoreInstances(4).acquireTimeout(timeout).build());
    return engine.register(withMemory("m", 1, -1, data(0, "M")));
  }

  private void awaitWaiting(int count) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (engine.waitingInstantiations() < count) {
      assertTrue(System.nanoTime() < deadline, "waiters never queued");
      Thread.sleep(1);
    }
  }

  @Test
  void noTimeout_failsAtOnce_withWasmtimesMessage() {
    PooledModule module = poolOfOne(Duration.ZERO);
    try (InstanceAllocation held = module.allocate()) {
      PoolExhaustedException e = assertThrows(PoolExhaustedException.class, module::allocate);
      assertEquals("maximum concurrent limit of 1 for memory stripe 0 reached", e.getMessage());
    }
  }

  @Test
  void fullPool_waitsUntilAnInstanceCloses_thenGetsItsSlot() throws Exception {
    PooledModule module = poolOfOne(Duration.ofSeconds(10));
    InstanceAllocation held = module.allocate();
    InstanceAllocation[] got = new InstanceAllocation[1];
    Thread waiter = Thread.ofPlatform().start(() -> got[0] = module.allocate());
    awaitWaiting(1);
    assertTrue(waiter.isAlive(), "waits while the pool is full");
    held.close();
    waiter.join(10_000);
    assertEquals(0, engine.waitingInstantiations());
    got[0].close();
  }

  @Test
  void timeout_throwsNamingKindLimitAndCounts() {
    PooledModule module = poolOfOne(Duration.ofMillis(100));
    try (InstanceAllocation held = module.allocate()) {
      long start = System.nanoTime();
      PoolExhaustedException e = assertThrows(PoolExhaustedException.class, module::allocate);
      assertTrue(System.nanoTime() - start >= Duration.ofMillis(100).toNanos(), "waited the timeout");
      assertEquals(
          "maximum concurrent limit of 1 for memory stripe 0 reached; no slot was freed within 100 ms"
              + " (core instances: 1 live; memories: 1 live, 0 warm; tables: 0 live, 0 warm; 0 pending"
              + " reset; 1 waiting)",
          e.getMessage());
      assertEquals("memory stripe 0", e.kind());
      assertEquals(1, e.limit());
    }
  }

  @Test
  void waiters_servedInArrivalOrder() throws Exception {
    PooledModule module = poolOfOne(Duration.ofSeconds(20));
    InstanceAllocation held = module.allocate();
    List<Integer> served = Collections.synchronizedList(new ArrayList<>());
    List<Thread> waiters = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      int id = i;
      waiters.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    try (InstanceAllocation a = module.allocate()) {
                      served.add(id);
                    }
                  }));
      awaitWaiting(i + 1); // each queued before the next arrives
    }
    held.close();
    for (Thread t : waiters) {
      t.join(20_000);
    }
    assertEquals(List.of(0, 1, 2, 3), served);
  }

  @Test
  void virtualThreads_waitWithoutPinningTheirCarriers() throws Exception {
    PooledModule module = poolOfOne(Duration.ofSeconds(30));
    int count = 4 * Runtime.getRuntime().availableProcessors() + 4;
    AtomicInteger done = new AtomicInteger();
    CountDownLatch all = new CountDownLatch(count);
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch mayClose = new CountDownLatch(1);
    // Held and closed by a virtual thread: with pinned waiters no carrier would be left to run it.
    Thread holder =
        Thread.ofVirtual()
            .start(
                () -> {
                  try (InstanceAllocation held = module.allocate()) {
                    holding.countDown();
                    mayClose.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    holding.await();
    for (int i = 0; i < count; i++) {
      Thread.ofVirtual()
          .start(
              () -> {
                try (InstanceAllocation a = module.allocate()) {
                  done.incrementAndGet();
                } finally {
                  all.countDown();
                }
              });
    }
    awaitWaiting(count);
    mayClose.countDown();
    holder.join();
    assertTrue(all.await(30, java.util.concurrent.TimeUnit.SECONDS), done.get() + " of " + count + " served");
    assertEquals(count, done.get());
  }
}
