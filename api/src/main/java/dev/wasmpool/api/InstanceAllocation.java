package dev.wasmpool.api;

import java.util.List;

/**
 * The pooled resources of one instance: an instance slot, its memories and its tables. Closing it
 * resets the slots and returns them to the pools; every segment handed out becomes unusable.
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

  /** Resets the slots and returns them to the pools. Later calls do nothing. */
  @Override
  void close();
}
