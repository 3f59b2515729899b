package dev.wasmpool.api.internal.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * What a memory and a table of an {@link Allocation} have in common: a granted region seen through
 * views that die with the allocation's arenas: a local view confined to the thread that made the
 * allocation (kept by the subclass), and a shared view that any thread may use, made from the
 * shared arena on first demand and then kept (see {@link Lifetime}).
 *
 * <p>Concurrency: the shared view is made under the {@link Lifetime}'s monitor (double-checked),
 * so that it never races with a growth or the allocation's close, which hold the same monitor.
 *
 * @param <G> the grant that says where the region lives and how large it may get
 */
abstract class AllocatedRegion<G> {

  final Lifetime life;
  final G grant;
  private final int index;

  private volatile @Nullable MemorySegment sharedView;

  /** Made by the owner thread (the one allocating), which the local view is confined to. */
  AllocatedRegion(Lifetime life, int index, G grant) {
    assert life.isOwner() : "the local view is made on the allocating thread";
    this.life = life;
    this.index = index;
    this.grant = grant;
  }

  /**
   * A view of the region at its current size, bound to {@code arena}.
   *
   * @param arena the arena whose close ends the view
   * @return the view
   */
  abstract MemorySegment view(Arena arena);

  /**
   * The arena shared views are made from now: the lifetime's, unless the region has arenas per
   * growth generation. Called with the lifetime's monitor held.
   *
   * @return the arena
   * @throws IllegalStateException if the allocation was closed
   */
  Arena sharedArena() {
    return life.shared();
  }

  final G grant() {
    return grant;
  }

  /**
   * The region's index within its instance.
   *
   * @return the index
   */
  public final int index() {
    return index;
  }

  /** The view any thread may use, once the allocation is known to be open. */
  final MemorySegment sharedSegment() {
    life.ensureOpen();
    MemorySegment current = sharedView;
    if (current == null) {
      synchronized (life) {
        current = sharedView;
        if (current == null) {
          current = view(sharedArena());
          sharedView = current;
        }
      }
    }
    return current;
  }

  /**
   * Replaces the shared view, if one was made, after the region changed size; called with the
   * lifetime's monitor held.
   */
  final void remakeSharedView(Function<Arena, MemorySegment> make) {
    assert Thread.holdsLock(life) : "replaced under the lifetime's monitor";
    if (sharedView != null) {
      sharedView = make.apply(sharedArena());
    }
  }

  /**
   * Whether a shared view was made (and is kept), for a region whose views move.
   *
   * @return {@code true} once {@link #sharedSegment()} made one
   */
  final boolean hasSharedView() {
    return sharedView != null;
  }
}
