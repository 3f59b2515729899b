package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.spi.BackendException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A linear memory of an {@link Allocation}: a slot (pooled or on-demand) seen through views of its
 * current size, remade when it grows.
 *
 * <p>Where the backend moves the storage when it grows (no virtual reservations), a memory that may
 * grow keeps its views in {@link ViewGenerations}: a growth that moves the storage ends the old
 * views (their accesses throw {@link IllegalStateException}) and lets the backend free the old
 * storage, so the slot holds about the memory's current size. Elsewhere the views come from the
 * {@link Lifetime}'s arenas and stay valid for their size until the allocation closes.
 *
 * <p>Concurrency: {@link #grow} and the allocation's close synchronise on the {@link Lifetime}, so
 * a growth never touches a slot that was already handed back. {@code sharedView} is written before
 * {@code pages} (volatile), under that monitor. {@code localView} is read and written by the
 * owner thread only, which makes a new one when {@code pages} says the memory grew.
 */
final class AllocatedMemory extends AllocatedRegion<MemoryGrant> implements LinearMemory {

  private volatile long pages;

  /** The owner's view, confined to it; only the owner reads or writes this field. */
  private MemorySegment localView;

  /** The rights of the allocation this memory belongs to. */
  private final GuestRights guestRights;

  /** The views by growth generation where growth moves the storage; {@code null} elsewhere. */
  private final @Nullable ViewGenerations generations;

  /**
   * Made by the owner thread (the one allocating).
   *
   * @param storageMoves whether the backend moves a reservation's storage when it grows
   */
  AllocatedMemory(
      Lifetime life, int index, MemoryGrant grant, GuestRights guestRights, boolean storageMoves) {
    super(life, index, grant);
    this.guestRights = guestRights;
    this.pages = grant.initialPages();
    ImageSlot slot = grant.slot();
    ViewGenerations g =
        storageMoves && slot.soleSlot() && grant.maximumPages() > grant.initialPages()
            ? new ViewGenerations(life, slot.reservation())
            : null;
    this.generations = g;
    this.localView = view(g == null ? life.confined : g.local(), slot, grant.initialPages());
  }

  @Override
  public GuestRights guestRights() {
    return guestRights;
  }

  @Override
  MemorySegment view(Arena arena) {
    return view(arena, grant.slot(), pages);
  }

  @Override
  Arena sharedArena() {
    ViewGenerations g = generations;
    return g == null ? life.shared() : g.shared();
  }

  /** The arena of the owner's views now; called on the owner. */
  private Arena localArena() {
    ViewGenerations g = generations;
    return g == null ? life.confined : g.local();
  }

  private static MemorySegment view(Arena arena, ImageSlot slot, long pages) {
    // Re-read: without virtual reservations the backend may have replaced the segment.
    return SegmentViews.view(
        slot.reservation().segment(), slot.base(), pages * MemoryType.PAGE_SIZE, arena);
  }

  @Override
  public MemorySegment segment() {
    return sharedSegment();
  }

  @Override
  public MemorySegment localSegment() {
    life.ensureOpen();
    if (!life.isOwner()) {
      return segment();
    }
    MemorySegment view = localView;
    if (view.byteSize() != pages * MemoryType.PAGE_SIZE) {
      // Grown by another thread, which cannot make confined views: catch up.
      view = catchUp();
    }
    return view;
  }

  /** Remakes the owner's view after another thread's growth; called on the owner. */
  private MemorySegment catchUp() {
    ViewGenerations g = generations;
    if (g == null) {
      MemorySegment view = view(life.confined, grant.slot(), pages);
      localView = view;
      return view;
    }
    synchronized (life) {
      life.ensureOpen();
      MemorySegment view = view(g.local(), grant.slot(), pages);
      localView = view;
      // The owner's stale view of an earlier generation is gone now: close its arena.
      g.retireStale();
      return view;
    }
  }

  @Override
  public long pages() {
    return pages;
  }

  @Override
  public long maximumPages() {
    return grant.maximumPages();
  }

  @Override
  public long grow(long deltaPages) {
    if (deltaPages < 0) {
      throw new IllegalArgumentException("deltaPages must not be negative (was " + deltaPages + ")");
    }
    synchronized (life) {
      life.ensureOpen();
      long old = pages;
      if (deltaPages > grant.maximumPages() - old) {
        return -1;
      }
      if (deltaPages == 0) {
        return old;
      }
      long grown = old + deltaPages;
      try {
        grant.slot().grow(grown * MemoryType.PAGE_SIZE);
      } catch (BackendException e) {
        // The slot is now unknown and will be erased before reuse; this memory keeps its size.
        return -1;
      }
      ViewGenerations g = generations;
      if (g != null) {
        g.advanceIfMoved();
      }
      remakeSharedView(arena -> view(arena, grant.slot(), grown));
      if (life.isOwner()) {
        localView = view(localArena(), grant.slot(), grown);
      }
      pages = grown;
      if (g != null) {
        // After the new views are published: a stale access retried now finds them.
        g.retireStale();
      }
      return old;
    }
  }

  @Override
  public boolean imageInPlace() {
    return grant.imageInPlace();
  }

  @Override
  public String toString() {
    return "LinearMemory[index=" + index() + ", pages=" + pages + ", maximumPages=" + grant.maximumPages() + "]";
  }
}
