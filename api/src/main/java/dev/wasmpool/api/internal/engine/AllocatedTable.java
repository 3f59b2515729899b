package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.TableSlot;
import dev.wasmpool.api.internal.table.TablePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A table of an {@link Allocation}: zeroed storage of a table slot, seen through views of its
 * maximum size, so that they never change.
 */
final class AllocatedTable extends AllocatedRegion<TableGrant> implements TableSlot {

  /** The owner's view, confined to it. */
  private final MemorySegment localView;

  AllocatedTable(Lifetime life, int index, TableGrant grant) {
    super(life, index, grant);
    this.localView = view(grant, life.confined);
  }

  @Override
  MemorySegment view(Arena arena) {
    return view(grant, arena);
  }

  private static MemorySegment view(TableGrant grant, Arena arena) {
    return SegmentViews.view(
        grant.reservation().segment(),
        grant.offset(),
        grant.maximumElements() * TablePool.ELEMENT_BYTES,
        arena);
  }

  @Override
  public long initialElements() {
    return grant.initialElements();
  }

  @Override
  public MemorySegment elements() {
    return sharedSegment();
  }

  @Override
  public MemorySegment localElements() {
    life.ensureOpen();
    return life.isOwner() ? localView : elements();
  }

  @Override
  public long maximumElements() {
    return grant.maximumElements();
  }

  @Override
  public String toString() {
    return "TableSlot[index=" + index() + ", maximumElements=" + grant.maximumElements() + "]";
  }
}
