package dev.wasmpool.api.internal.engine;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The views of a memory whose storage moves when it grows (a backend without virtual reservations
 * copies it into a larger segment), sorted by growth generation, so that the old storage can be
 * freed while the tenant lives instead of at its slot's next reset.
 *
 * <p>Each generation's views come from arenas of their own ({@link Lifetime#generationArena}): one
 * confined to the owner thread, one shared, each made on first demand. When a growth moves the
 * storage, the current arenas become stale; each is closed as soon as a thread that may close it
 * comes by ({@link #retireStale}): the shared one by the growing thread, at once, the confined one
 * by the owner, at once when it is the one growing (memory.grow from guest code), else the next
 * time it asks for its view. A closed view fails every access with {@link IllegalStateException};
 * a shared arena's close waits until no thread is in the middle of an access. Only when every stale
 * arena is closed is the backend told that no view of its replaced segments remains ({@link
 * Reservation#releaseReplacedSegments()}), so freed memory is never reachable. A stale arena that
 * cannot be closed yet (in use by a native call, or confined to an owner that does not come by)
 * keeps the old storage allocated, as the backend does without this class, until the allocation
 * closes.
 *
 * <p>Concurrency: every method runs under the {@link Lifetime}'s monitor, which orders it with the
 * memory's growth and the allocation's close.
 */
final class ViewGenerations {

  private final Lifetime life;
  private final Reservation reservation;

  /** The backend segment the current generation's views are slices of. */
  private MemorySegment source;

  /** The current generation's confined arena, or {@code null} until the owner asks. */
  private @Nullable Arena local;

  /** The current generation's shared arena, or {@code null} until a shared view is asked for. */
  private @Nullable Arena shared;

  /** Arenas of earlier generations, not closed yet. */
  private final List<Arena> stale = new ArrayList<>(2);

  /** Whether the backend replaced its segment since it was last told no old view remains. */
  private boolean replaced;

  /**
   * Starts the first generation; called on the owner thread.
   *
   * @param life the allocation's lifetime
   * @param reservation the memory's reservation, the only slot in it
   */
  ViewGenerations(Lifetime life, Reservation reservation) {
    this.life = life;
    this.reservation = reservation;
    this.source = reservation.segment();
  }

  /**
   * The current generation's confined arena; called on the owner thread.
   *
   * @return the arena
   * @throws IllegalStateException if the allocation was closed
   */
  Arena local() {
    return current(true);
  }

  /**
   * The current generation's shared arena.
   *
   * @return the arena
   * @throws IllegalStateException if the allocation was closed
   */
  Arena shared() {
    return current(false);
  }

  private Arena current(boolean confined) {
    synchronized (life) {
      Arena arena = confined ? local : shared;
      if (arena == null) {
        arena = life.generationArena(confined);
        if (confined) {
          local = arena;
        } else {
          shared = arena;
        }
      }
      return arena;
    }
  }

  /**
   * After a growth: if the backend moved the storage, starts a new generation (the current arenas
   * become stale; views are remade from new ones).
   *
   * @return {@code true} if the storage moved
   */
  boolean advanceIfMoved() {
    synchronized (life) {
      MemorySegment now = reservation.segment();
      // The old segment is still allocated (kept for these views), so a moved one has another
      // address.
      if (now.address() == source.address()) {
        return false;
      }
      source = now;
      addStale(local);
      addStale(shared);
      local = null;
      shared = null;
      replaced = true;
      return true;
    }
  }

  /**
   * Closes the stale arenas the calling thread may close; once none is left, lets the backend free
   * the replaced storage. Does nothing on a closed allocation, whose close ends every view and
   * whose reset frees the storage.
   */
  void retireStale() {
    synchronized (life) {
      if (!replaced || life.isClosed()) {
        return;
      }
      stale.removeIf(life::closeEarly);
      if (stale.isEmpty()) {
        replaced = false;
        try {
          reservation.releaseReplacedSegments();
        } catch (BackendException closedEngine) {
          // The reservation was closed with the engine: its memory is already gone.
        }
      }
    }
  }

  private void addStale(@Nullable Arena arena) {
    if (arena != null) {
      stale.add(arena);
    }
  }
}
