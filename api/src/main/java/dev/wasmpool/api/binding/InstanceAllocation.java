package dev.wasmpool.api.binding;

import java.util.List;

/**
 * The pooled resources of one instance: an instance slot, its memories and its tables. Closing it
 * resets the slots and returns them to the pools; every segment handed out becomes unusable.
 *
 * <p>Every segment it hands out is bound to an {@link java.lang.foreign.Arena} owned by the
 * allocation: {@link LinearMemory#segment()} and {@link TableSlot#elements()} to a shared arena,
 * made on first demand, that any thread may use; {@link LinearMemory#localSegment()} and {@link
 * TableSlot#localElements()}, on the thread that made the allocation (its <em>owner</em>), to a
 * confined arena, much cheaper to close. {@link #close()} closes the arenas first, so that any
 * later access through a kept segment throws {@link IllegalStateException}, and only then resets
 * the slots for their next tenant.
 *
 * <p>Only the owner can close the confined arena. When another thread closes the allocation while
 * the owner is still running, the shared segments die at once, but the owner's local segments stay
 * usable by the owner (and by no other thread) on this tenant's own bytes; the slots are then
 * reset and reused only after the owner next allocates or closes an allocation of the engine (which
 * closes its confined arenas) or has ended. No segment can reach a slot's next tenant either way.
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public interface InstanceAllocation extends AutoCloseable {

  /**
   * The module this allocation was made for.
   *
   * @return the module
   */
  PooledModule module();

  /**
   * The linear memories, one per defined memory, in index order.
   *
   * @return the memories
   */
  List<LinearMemory> memories();

  /**
   * The tables, one per defined table, in index order.
   *
   * @return the tables
   */
  List<TableSlot> tables();

  /**
   * Whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  boolean isClosed();

  /**
   * Closes the allocation's arenas, then resets the slots and returns them to the pools (called on
   * another thread than the owner, see the class comment for when the slots return). Later calls
   * do nothing. If the module was closed meanwhile, its image is removed from the slots.
   *
   * @throws IllegalStateException if a segment of this allocation is in use by a native call on
   *     another thread (the arena cannot close); the allocation then stays open
   */
  @Override
  void close();
}
