package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.internal.limits.InstanceLimits;
import dev.wasmpool.api.internal.memory.ModuleImages;

/**
 * Where instances get their memories and tables: the pools ({@link PoolingAllocator}) or fresh
 * reservations ({@link OnDemandAllocator}). The engine composes the steps; every acquire has a
 * release, and a failing acquire leaves nothing taken.
 */
interface InstanceAllocator extends AutoCloseable {

  /**
   * Checks a module once, at registration.
   *
   * @param module the module
   * @throws dev.wasmpool.api.ModuleValidationException if it does not fit
   */
  void validate(ModuleDescriptor module);

  /**
   * The counters of core instances (one per allocation) and accounted resources.
   *
   * @return the counters; bounded with the pooling strategy
   */
  InstanceLimits limits();

  /**
   * The stripe for a new instance's memories.
   *
   * @return the stripe number, 0 without striping
   */
  int nextStripe();

  /**
   * The number of stripes; an instance whose stripe is full tries the others in turn.
   *
   * @return at least 1
   */
  int stripeCount();

  /**
   * Gives an instance a memory in its initial state.
   *
   * @param module the module's images
   * @param descriptor the module
   * @param memoryIndex the defined memory's index
   * @param stripe the instance's stripe
   * @return the memory
   */
  MemoryGrant acquireMemory(ModuleImages module, ModuleDescriptor descriptor, int memoryIndex, int stripe);

  /**
   * Takes a memory back (resets or frees it).
   *
   * @param module the module's images
   * @param memoryIndex the defined memory's index
   * @param grant what {@link #acquireMemory} gave
   */
  void releaseMemory(ModuleImages module, int memoryIndex, MemoryGrant grant);

  /**
   * Gives an instance a zeroed table.
   *
   * @param descriptor the module
   * @param tableIndex the defined table's index
   * @return the table
   */
  TableGrant acquireTable(ModuleDescriptor descriptor, int tableIndex);

  /**
   * Takes a table back.
   *
   * @param grant what {@link #acquireTable} gave
   */
  void releaseTable(TableGrant grant);

  /**
   * Removes a closed module's images from the slots that keep them for it.
   *
   * @param module the closed module's images
   */
  void purge(ModuleImages module);

  /**
   * The pools' use.
   *
   * @return a snapshot
   */
  PoolMetrics metrics();

  /** Releases the pools. Every grant must have been released. */
  @Override
  void close();
}
