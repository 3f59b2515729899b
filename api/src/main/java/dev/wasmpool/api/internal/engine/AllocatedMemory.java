package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.LinearMemory;
import dev.wasmpool.api.MemoryType;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.spi.BackendException;
import java.lang.foreign.MemorySegment;

/**
 * A linear memory of an {@link Allocation}: a slot (pooled or on-demand) seen through a view that
 * dies with the allocation's arena.
 *
 * <p>Concurrency: {@link #grow} and the allocation's close synchronise on the {@link Lifetime}, so
 * a growth never touches a slot that was already handed back. {@code view} is written before {@code
 * pages}, both volatile.
 */
final class AllocatedMemory implements LinearMemory {

  private final Lifetime life;
  private final int index;
  private final MemoryGrant grant;
  private volatile MemorySegment view;
  private volatile long pages;

  AllocatedMemory(Lifetime life, int index, MemoryGrant grant) {
    this.life = life;
    this.index = index;
    this.grant = grant;
    this.pages = grant.initialPages();
    this.view = view(life, grant.slot(), grant.initialPages());
  }

  private static MemorySegment view(Lifetime life, ImageSlot slot, long pages) {
    // Re-read: without virtual reservations the backend may have replaced the segment.
    return SegmentViews.view(
        slot.reservation().segment(), slot.base(), pages * MemoryType.PAGE_SIZE, life.arena);
  }

  MemoryGrant grant() {
    return grant;
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public MemorySegment segment() {
    life.ensureOpen();
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
      view = view(life, grant.slot(), grown);
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
    return "LinearMemory[index=" + index + ", pages=" + pages + ", maximumPages=" + grant.maximumPages() + "]";
  }
}
