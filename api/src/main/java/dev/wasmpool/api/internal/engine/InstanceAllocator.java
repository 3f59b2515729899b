package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.GuestRights;
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
   * The guest rights of an instance with these memories, all from one stripe.
   *
   * @param memories the instance's memories, possibly none
   * @return {@link GuestRights#UNRESTRICTED} unless the pool is striped with protection keys
   */
  default GuestRights guestRights(MemoryGrant[] memories) {
    return GuestRights.UNRESTRICTED;
  }

  /**
   * Gives the calling thread host rights (every protection key) before it touches pool memory;
   * nothing without protection keys. New threads on Linux start with keys 1-15 denied.
   */
  default void enterHost() {}

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
   * Gives back a memory whose slot was revoked when the engine closed ({@link
   * dev.wasmpool.spi.Reservation#revoke}), once no view of it lives. Nothing in the slot is
   * written or reused: the allocator is closed next.
   *
   * @param grant the memory's grant
   */
  void discardMemory(MemoryGrant grant);

  /**
   * Gives back a table whose slot was revoked when the engine closed, as {@link #discardMemory}.
   *
   * @param grant the table's grant
   */
  void discardTable(TableGrant grant);

  /**
   * Frees an orphan's slot indexes at once (an instance closed by another thread than its owner,
   * which still runs): each memory and table slot is given a fresh address range and freed for
   * the next tenant, while the orphan keeps its old ranges, which only its owner's dead-to-be views
   * can reach, until {@link #retireRelocated}. The owner's stale views then see only the orphan's
   * own bytes; no next tenant ever shares their addresses.
   *
   * @param module the orphan's module
   * @param memories the orphan's memory grants
   * @param tables the orphan's table grants
   * @return {@code false}, changing nothing, where the allocator cannot relocate (on-demand
   *     memories need none; a fresh range could not be reserved; protection-key stripes)
   */
  boolean relocate(ModuleImages module, MemoryGrant[] memories, TableGrant[] tables);

  /**
   * Takes back the old ranges of a relocated orphan once its owner's views are dead: they are
   * reset and kept as spare ranges for later relocations.
   *
   * @param memories the orphan's memory grants (their slots are the old ranges)
   * @param tables the orphan's table grants (their reservation and offset are the old ranges)
   */
  void retireRelocated(MemoryGrant[] memories, TableGrant[] tables);

  /**
   * Removes a closed module's images from the slots that keep them for it.
   *
   * @param module the closed module's images
   */
  void purge(ModuleImages module);

  /**
   * The pools' use.
   *
   * @param leaksReclaimed the engine's count of instances reclaimed unclosed ({@link
   *     LeakDetector}), which the counters report
   * @return a snapshot
   */
  PoolMetrics metrics(long leaksReclaimed);

  /** Releases the pools. Every grant must have been released. */
  @Override
  void close();
}
