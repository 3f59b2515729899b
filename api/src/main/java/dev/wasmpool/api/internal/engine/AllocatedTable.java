package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.TableSlot;
import dev.wasmpool.api.internal.table.TablePool;
import java.lang.foreign.MemorySegment;

/** A table of an {@link Allocation}: zeroed storage seen through a view that dies with the arena. */
final class AllocatedTable implements TableSlot {

  private final Lifetime life;
  private final int index;
  private final TableGrant grant;
  private final MemorySegment view;

  AllocatedTable(Lifetime life, int index, TableGrant grant) {
    this.life = life;
    this.index = index;
    this.grant = grant;
    this.view =
        SegmentViews.view(
            grant.reservation().segment(),
            grant.offset(),
            grant.maximumElements() * TablePool.ELEMENT_BYTES,
            life.arena);
  }

  TableGrant grant() {
    return grant;
  }

  @Override
  public int index() {
    return index;
  }

  @Override
  public long initialElements() {
    return grant.initialElements();
  }

  @Override
  public long maximumElements() {
    return grant.maximumElements();
  }

  @Override
  public MemorySegment elements() {
    life.ensureOpen();
    return view;
  }

  @Override
  public String toString() {
    return "TableSlot[index=" + index + ", maximumElements=" + grant.maximumElements() + "]";
  }
}
