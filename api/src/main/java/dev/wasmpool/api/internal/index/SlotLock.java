package dev.wasmpool.api.internal.index;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The lock of an {@link IndexAllocator}: a test-and-test-and-set spin lock for critical sections
 * of a few array writes.
 *
 * <p>Why not a monitor or a {@code ReentrantLock}: both park a waiter after a short spin, and
 * waking it costs a system call on each side. With two threads that each take the lock twice per
 * instance, the holder of one section then often finds the other thread still waking up from the
 * last, and the pair settles into lock step at about the one-thread rate (a convoy; measured in
 * {@code ConcurrencyBenchmark}). A waiter here spins on a plain read (no cache-line traffic until
 * the lock is released) and, after many rounds, yields its core, so that a holder that was
 * preempted gets to run.
 *
 * <p>Not reentrant. A holder must not block or call out of the allocator.
 */
final class SlotLock {

  /** Spins before a waiter starts yielding its core. */
  private static final int SPINS_BEFORE_YIELD = 256;

  private static final VarHandle LOCKED;

  static {
    try {
      LOCKED = MethodHandles.lookup().findVarHandle(SlotLock.class, "locked", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("unused") // accessed through LOCKED
  private volatile int locked;

  /** Takes the lock, spinning (then yielding) while another thread holds it. */
  void lock() {
    if (!LOCKED.compareAndSet(this, 0, 1)) {
      contended();
    }
  }

  private void contended() {
    int spins = 0;
    do {
      while (locked != 0) {
        if (++spins < SPINS_BEFORE_YIELD) {
          Thread.onSpinWait();
        } else {
          Thread.yield();
        }
      }
    } while (!LOCKED.compareAndSet(this, 0, 1));
  }

  /** Releases the lock; only its holder may call this. */
  void unlock() {
    LOCKED.setRelease(this, 0);
  }
}
