package dev.wasmpool.api.internal.engine;

import java.lang.foreign.Arena;
import java.time.Duration;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The life of one instance allocation, shared by the allocation and its memories and tables: the
 * arenas every handed-out segment is bound to, and whether the allocation was closed.
 *
 * <p>Its monitor orders memory growth against close: {@link AllocatedMemory#grow} holds it while
 * it changes the slot, and {@link Allocation#close()} marks the lifetime closed under it.
 */
final class Lifetime {

  /*
   * Two arenas. Closing a shared arena makes the JVM handshake with every Java thread, to be sure
   * none is in the middle of an access: about 10 µs of CPU on two cores with the twenty-odd threads
   * of a small JVM, and more with more threads. That alone would be most of the cost of a pooled
   * instantiation (the rest is a few µs), and two threads closing shared arenas take turns. A
   * confined arena costs nothing to close, but only its owner thread may use or close it.
   *
   * So each lifetime has:
   *   confined - owned by the thread that made the allocation (the owner); the "local" views a
   *              runtime uses from that thread (LinearMemory.localSegment). Created eagerly.
   *   shared   - created on first demand, for views any thread may use (LinearMemory.segment, and
   *              localSegment called on another thread). An instance run only on the thread that
   *              instantiated it never creates one.
   *
   * Close: the shared arena is closed from any thread (its views die at once). The confined arena
   * is closed when the owner closes the allocation, and its views die at once too. When another
   * thread closes the allocation while the owner still runs, the confined arena cannot be closed
   * there: its views stay usable by the owner, and by no other thread. The allocation is then an
   * orphan: its slots are not reset or reused until the confined views are dead, which happens when
   * the owner closes the arena (the engine lets it do so the next time it allocates or closes an
   * allocation, see EngineImpl.retireOrphans) or when the owner has ended (no live thread can pass
   * a confined arena's owner check). Either way no view of a tenant can reach the slot's next
   * tenant, which is the guarantee; what an orphan costs is its slots, for a while.
   */

  /** What {@link #close()} did. */
  enum Closing {
    /** It was closed before. */
    ALREADY_CLOSED,
    /** Every view is dead: the slots may be reset and reused now. */
    RETIRED,
    /** The owner's views live on: the slots must wait for {@link #tryRetire()}. */
    ORPHANED
  }

  /** The thread that made the allocation; owns {@link #confined}. */
  private final Thread owner = Thread.currentThread();

  /** Owns the local views; closed by the owner. */
  final Arena confined = Arena.ofConfined();

  /** Owns the views any thread may use; created on first demand, under this object's monitor. */
  private @Nullable Arena shared;

  /** Written under this object's monitor. */
  private volatile boolean closed;

  /** Whether the confined views are dead; written under this object's monitor. */
  private boolean retired;

  /**
   * Fails if the allocation was closed.
   *
   * @throws IllegalStateException if it was
   */
  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the instance allocation was closed");
    }
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Whether the calling thread made the allocation, and may use the confined views.
   *
   * @return {@code true} on the owner thread
   */
  boolean isOwner() {
    return Thread.currentThread() == owner;
  }

  /**
   * The arena of the views any thread may use, created on the first call.
   *
   * @return the shared arena
   * @throws IllegalStateException if the allocation was closed
   */
  synchronized Arena shared() {
    ensureOpen();
    Arena arena = shared;
    if (arena == null) {
      arena = Arena.ofShared();
      shared = arena;
    }
    return arena;
  }

  /**
   * Marks the lifetime closed and closes what the calling thread can: the shared arena, and the
   * confined one on the owner thread (or when the owner has ended).
   *
   * @return what happened
   * @throws IllegalStateException if the shared arena cannot be closed (a segment is in use by a
   *     native call); the lifetime then stays open
   */
  synchronized Closing close() {
    if (closed) {
      return Closing.ALREADY_CLOSED;
    }
    closed = true;
    Arena arena = shared;
    if (arena != null) {
      try {
        arena.close();
      } catch (IllegalStateException e) {
        closed = false;
        throw e;
      }
    }
    return retire() ? Closing.RETIRED : Closing.ORPHANED;
  }

  /**
   * For an orphan: retires the confined views if the calling thread is the owner (closing the
   * arena) or the owner has ended.
   *
   * @return {@code true} if this call retired them; {@code false} if they live on, or another call
   *     retired them already
   */
  synchronized boolean tryRetire() {
    assert closed : "only a closed lifetime is retired";
    return !retired && retire();
  }

  /**
   * Waits until the owner thread has ended, after which {@link #tryRetire()} succeeds on any
   * thread, or until {@code timeout} has passed.
   *
   * @param timeout the longest wait
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void awaitOwnerEnd(Duration timeout) throws InterruptedException {
    owner.join(timeout);
  }

  private boolean retire() {
    if (isOwner()) {
      confined.close();
    } else if (owner.isAlive()) {
      return false;
    }
    retired = true;
    return true;
  }

  @Override
  public String toString() {
    return "Lifetime[owner=" + owner.getName() + (closed ? ", closed" : "") + (retired ? ", retired" : "") + "]";
  }
}
