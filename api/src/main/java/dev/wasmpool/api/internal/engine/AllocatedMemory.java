package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.spi.BackendException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A linear memory of an {@link Allocation}: a slot (pooled or on-demand) seen through views of its
 * current size, remade when it grows.
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

  /** Made by the owner thread (the one allocating). */
  /** The rights of the allocation this memory belongs to. */
  private final GuestRights guestRights;

  AllocatedMemory(Lifetime life, int index, MemoryGrant grant, GuestRights guestRights) {
    super(life, index, grant);
    this.guestRights = guestRights;
    this.pages = grant.initialPages();
    this.localView = view(life.confined, grant.slot(), grant.initialPages());
  }

  @Override
  public GuestRights guestRights() {
    return guestRights;
  }

  @Override
  MemorySegment view(Arena arena) {
    return view(arena, grant.slot(), pages);
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
    long bytes = pages * MemoryType.PAGE_SIZE;
    if (view.byteSize() != bytes) {
      // Grown (possibly by another thread, which cannot make confined views): catch up.
      view = view(life.confined, grant.slot(), bytes / MemoryType.PAGE_SIZE);
      localView = view;
    }
    return view;
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
      remakeSharedView(arena -> view(arena, grant.slot(), grown));
      if (life.isOwner()) {
        localView = view(life.confined, grant.slot(), grown);
      }
      pages = grown;
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
