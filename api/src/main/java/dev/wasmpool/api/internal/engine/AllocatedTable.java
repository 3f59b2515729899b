package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.TableSlot;
import dev.wasmpool.api.internal.table.TablePool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A table of an {@link Allocation}: zeroed storage seen through views that die with the
 * allocation's arenas: a local view confined to the thread that made the allocation, and a shared
 * view made on first demand (see {@link Lifetime}).
 */
final class AllocatedTable implements TableSlot {

  private final Lifetime life;
  private final int index;
  private final TableGrant grant;

  /** The owner's view, confined to it. */
  private final MemorySegment localView;

  /** The view any thread may use. */
  private final SharedView sharedView;

  /** Made by the owner thread (the one allocating). */
  AllocatedTable(Lifetime life, int index, TableGrant grant) {
    assert life.isOwner() : "the local view is made on the allocating thread";
    this.life = life;
    this.index = index;
    this.grant = grant;
    this.localView = view(grant, life.confined);
    this.sharedView = new SharedView(life, () -> view(grant, life.shared()));
  }

  private static MemorySegment view(TableGrant grant, Arena arena) {
    return SegmentViews.view(
        grant.reservation().segment(),
        grant.offset(),
        grant.maximumElements() * TablePool.ELEMENT_BYTES,
        arena);
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
    return sharedView.get();
  }

  @Override
  public MemorySegment localElements() {
    life.ensureOpen();
    return life.isOwner() ? localView : elements();
  }

  @Override
  public String toString() {
    return "TableSlot[index=" + index + ", maximumElements=" + grant.maximumElements() + "]";
  }
}
