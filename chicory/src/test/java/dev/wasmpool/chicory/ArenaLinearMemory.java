package dev.wasmpool.chicory;

import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.MemoryType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A test double for a pool slot: a {@link LinearMemory} over a shared {@link Arena}. The arena
 * reserves a fixed capacity up front; growth beyond it moves the contents to a larger block of the
 * same arena (a real slot never moves, but the memory must re-read the segment either way). Closing
 * it closes the arena, so every segment it handed out fails with {@link IllegalStateException}.
 */
final class ArenaLinearMemory implements LinearMemory, AutoCloseable {

  private static final long PAGE = MemoryType.PAGE_SIZE;

  private final int index;
  private final long maximumPages;
  private final boolean imageInPlace;
  private final Arena arena = Arena.ofShared();
  private MemorySegment block;
  private long pages;

  /**
   * Creates a zeroed memory.
   *
   * @param index the defined memory's index
   * @param initialPages the initial size
   * @param maximumPages the size growth stops at
   * @param reservedPages the capacity reserved up front
   * @param image bytes already in place (the module's image), or {@code null} for none
   */
  ArenaLinearMemory(
      int index, long initialPages, long maximumPages, long reservedPages, byte[] image) {
    this.index = index;
    this.maximumPages = maximumPages;
    this.pages = initialPages;
    this.block = arena.allocate(Math.max(reservedPages, initialPages) * PAGE, PAGE);
    this.imageInPlace = image != null;
    if (image != null) {
      MemorySegment.copy(MemorySegment.ofArray(image), 0, block, 0, image.length);
    }
  }

  static ArenaLinearMemory zeroed(long initialPages, long maximumPages) {
    return new ArenaLinearMemory(0, initialPages, maximumPages, Math.min(maximumPages, 4), null);
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public MemorySegment segment() {
    if (!arena.scope().isAlive()) {
      throw new IllegalStateException("allocation closed");
    }
    return block.asSlice(0, pages * PAGE);
  }

  @Override
  public long pages() {
    return pages;
  }

  @Override
  public long maximumPages() {
    return maximumPages;
  }

  @Override
  public long grow(long deltaPages) {
    if (!arena.scope().isAlive()) {
      throw new IllegalStateException("allocation closed");
    }
    if (deltaPages < 0 || pages + deltaPages > maximumPages) {
      return -1;
    }
    long previous = pages;
    long target = pages + deltaPages;
    if (target * PAGE > block.byteSize()) {
      MemorySegment larger = arena.allocate(Math.max(target, 2 * block.byteSize() / PAGE) * PAGE, PAGE);
      MemorySegment.copy(block, 0, larger, 0, pages * PAGE);
      block = larger;
    }
    pages = target;
    return previous;
  }

  @Override
  public boolean imageInPlace() {
    return imageInPlace;
  }

  @Override
  public void close() {
    if (arena.scope().isAlive()) {
      arena.close();
    }
  }
}
