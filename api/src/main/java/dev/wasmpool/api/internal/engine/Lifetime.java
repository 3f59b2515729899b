package dev.wasmpool.api.internal.engine;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
   *
   * Generation arenas: a memory whose storage moves when it grows (a backend without virtual
   * reservations) makes its views from arenas of its own, one confined and one shared per growth
   * generation (AllocatedMemory), so that a growth can end the old generation's views, and the
   * backend free the old storage, while the other regions' views live on. They are registered
   * here, closed early by closeEarly when the thread may, and otherwise closed with the lifetime's
   * own: shared ones by close(), confined ones when the confined views are retired.
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

  /** Open generation arenas confined to the owner; {@code null} until one; guarded by this. */
  private @Nullable List<Arena> confinedGenerations;

  /** Open generation arenas any thread may use; {@code null} until one; guarded by this. */
  private @Nullable List<Arena> sharedGenerations;

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
   * A new arena for the views of one growth generation, closed with this lifetime unless {@link
   * #closeEarly closed early}.
   *
   * @param confined {@code true} for an arena confined to the owner (then called on the owner),
   *     {@code false} for one any thread may use
   * @return the arena
   * @throws IllegalStateException if the allocation was closed
   */
  synchronized Arena generationArena(boolean confined) {
    ensureOpen();
    assert !confined || isOwner() : "a confined arena is made on its owner";
    Arena arena = confined ? Arena.ofConfined() : Arena.ofShared();
    if (confined) {
      if (confinedGenerations == null) {
        confinedGenerations = new ArrayList<>(2);
      }
      confinedGenerations.add(arena);
    } else {
      if (sharedGenerations == null) {
        sharedGenerations = new ArrayList<>(2);
      }
      sharedGenerations.add(arena);
    }
    return arena;
  }

  /**
   * Closes a generation arena now, if the calling thread may: any thread a shared one, the owner a
   * confined one. Every view of it then fails; a shared arena's close waits until no thread is in
   * the middle of an access to one of them.
   *
   * @param arena an arena from {@link #generationArena}
   * @return {@code true} if it is closed; {@code false} if it stays open: a confined arena on
   *     another thread, an arena in use by a native call, or a closed lifetime (whose close handles
   *     it)
   */
  synchronized boolean closeEarly(Arena arena) {
    if (closed) {
      return false;
    }
    List<Arena> confinedOnes = confinedGenerations;
    boolean confined = confinedOnes != null && confinedOnes.contains(arena);
    if (confined && !isOwner()) {
      return false;
    }
    try {
      arena.close();
    } catch (IllegalStateException inUse) {
      return false; // acquired by a native call; tried again later, or closed with the lifetime
    }
    List<Arena> list = confined ? confinedOnes : sharedGenerations;
    if (list != null) {
      list.remove(arena);
    }
    return true;
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
    try {
      List<Arena> generations = sharedGenerations;
      if (generations != null) {
        // Each closed one leaves the list, so that a retried close does not close it twice.
        while (!generations.isEmpty()) {
          generations.get(generations.size() - 1).close();
          generations.remove(generations.size() - 1);
        }
      }
      Arena arena = shared;
      if (arena != null) {
        arena.close();
      }
    } catch (IllegalStateException e) {
      closed = false;
      throw e;
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
      List<Arena> generations = confinedGenerations;
      if (generations != null) {
        for (Arena arena : generations) {
          arena.close();
        }
        generations.clear();
      }
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
