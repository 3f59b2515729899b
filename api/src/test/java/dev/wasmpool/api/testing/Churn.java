package dev.wasmpool.api.testing;

import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.Engine;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the same work on several threads at once and fails with every thread's failure. */
public final class Churn {

  /** One thread's step. */
  @FunctionalInterface
  public interface Step {
    /**
     * Does one iteration.
     *
     * @param thread the thread's number, from 1
     * @param iteration the iteration, from 0
     * @throws Exception to fail the run
     */
    void run(int thread, int iteration) throws Exception;
  }

  /** One tenant's turn with its allocation, which is closed after the turn. */
  @FunctionalInterface
  public interface Turn {
    /**
     * Uses the allocation.
     *
     * @param allocation the tenant's allocation, of one memory and one table
     * @param image the four letters its module's memory starts with
     * @param thread the thread's number, from 1
     * @param iteration the iteration, from 0
     * @throws Exception to fail the run
     */
    void run(InstanceAllocation allocation, String image, int thread, int iteration)
        throws Exception;
  }

  private Churn() {}

  /**
   * Registers two modules, each of one page of memory starting with {@code "AAAA"} or {@code
   * "BBBB"} and one table element, and runs {@code turn} {@code iterations} times on each of {@code
   * threads} threads, alternating the modules; a full pool is counted, not failed. Then checks that
   * every turn was taken or counted and that nothing is live and at most three memories are warm.
   *
   * @param engine an engine of three memories, tables and core instances
   * @param threads how many threads
   * @param iterations iterations per thread
   * @param turn the work on one allocation
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError carrying every thread's failure as suppressed exceptions
   */
  public static void tenants(Engine engine, int threads, int iterations, Turn turn)
      throws InterruptedException {
    PooledModule a = engine.register(withMemoryAndTable("a", 1, 1, data(0, "AAAA")));
    PooledModule b = engine.register(withMemoryAndTable("b", 1, 1, data(0, "BBBB")));
    AtomicInteger done = new AtomicInteger();
    AtomicInteger exhausted = new AtomicInteger();
    run(
        threads,
        iterations,
        (id, i) -> {
          PooledModule module = (i + id) % 2 == 0 ? a : b;
          InstanceAllocation x = allocateOrCount(module, exhausted);
          if (x == null) {
            return;
          }
          try (x) {
            turn.run(x, module == a ? "AAAA" : "BBBB", id, i);
          }
          done.incrementAndGet();
        });
    assertEquals(threads * iterations, done.get() + exhausted.get());
    PoolMetrics metrics = engine.metrics();
    assertEquals(0, metrics.coreInstances());
    assertEquals(0, metrics.memories());
    assertEquals(0, metrics.tables());
    assertTrue(metrics.unusedWarmMemories() <= 3, metrics.toString());
  }

  /**
   * Runs {@code step} {@code iterations} times on each of {@code threads} threads.
   *
   * @param threads how many threads
   * @param iterations iterations per thread
   * @param step the work
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError carrying every thread's failure as suppressed exceptions
   */
  public static void run(int threads, int iterations, Step step) throws InterruptedException {
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int id = t + 1;
      workers[t] =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < iterations; i++) {
                    step.run(id, i);
                  }
                } catch (Throwable e) {
                  failures.add(e);
                }
              },
              "churn-" + id);
      workers[t].start();
    }
    for (Thread worker : workers) {
      worker.join();
    }
    if (!failures.isEmpty()) {
      AssertionError error = new AssertionError(failures.size() + " thread(s) failed");
      failures.forEach(error::addSuppressed);
      throw error;
    }
  }

  /**
   * Allocates an instance, or counts a full pool.
   *
   * @param module the module
   * @param exhausted incremented when a pool is full
   * @return the allocation, or {@code null} when a pool was full
   */
  public static InstanceAllocation allocateOrCount(PooledModule module, AtomicInteger exhausted) {
    try {
      return module.allocate();
    } catch (PoolExhaustedException e) {
      exhausted.incrementAndGet();
      return null;
    }
  }
}
