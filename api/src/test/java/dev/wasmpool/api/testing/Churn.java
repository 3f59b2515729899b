package dev.wasmpool.api.testing;

import dev.wasmpool.api.InstanceAllocation;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PooledModule;
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

  private Churn() {}

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
