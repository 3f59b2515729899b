package dev.wasmpool.api;

import java.util.List;

/**
 * The pooled resources of one instance: an instance slot, its memories and its tables. Closing it
 * resets the slots and returns them to the pools; every segment handed out becomes unusable.
 *
 * <p>Every segment it hands out is bound to a shared {@link java.lang.foreign.Arena} owned by the
 * allocation. {@link #close()} closes that arena first, so that any later access through a kept
 * segment throws {@link IllegalStateException}, and only then resets the slots for their next
 * tenant.
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
   * Closes the allocation's arena, then resets the slots and returns them to the pools. Later
   * calls do nothing. If the module was closed meanwhile, its image is removed from the slots.
   *
   * @throws IllegalStateException if a segment of this allocation is in use by a native call on
   *     another thread (the arena cannot close); the allocation then stays open
   */
  @Override
  void close();
}
