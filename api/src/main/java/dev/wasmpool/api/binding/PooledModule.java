package dev.wasmpool.api.binding;

import dev.wasmpool.api.PoolExhaustedException;

/**
 * A module registered with an engine: validated against the pool's limits once, with an identity
 * for slot affinity and, where eligible, a memory image built once.
 *
 * <p>Thread-safe. Closing the module purges its affine slots (removing its image from every slot
 * that holds it and releasing the image); allocations still open keep working until they close.
 */
public interface PooledModule extends AutoCloseable {

  /**
   * What the module was registered with.
   *
   * @return the descriptor
   */
  ModuleDescriptor descriptor();

  /**
   * Whether the given defined memory is initialised from a copy-on-write image.
   *
   * @param memoryIndex the defined memory's index
   * @return {@code true} if instances of this module get that memory's constant data from an image
   */
  boolean hasImage(int memoryIndex);

  /**
   * Allocates the pooled resources for one instance.
   *
   * @return the allocation, owned by the caller, who closes it
   * @throws PoolExhaustedException if a pool has no free slot (after flushing queued resets);
   *     nothing is taken then
   * @throws IllegalStateException if the module or engine was closed
   * @throws dev.wasmpool.spi.BackendException if the backend fails to prepare a slot (the slot is
   *     erased before its next use; nothing else is taken)
   */
  InstanceAllocation allocate();

  /**
   * Purges this module's affine slots: removes its image from every free slot that holds it
   * (flushing queued resets first), clears their affinity, and releases the image once no slot
   * maps it. Allocations still open keep working; their slots are purged when they close. Later
   * {@link #allocate()} calls fail. Idempotent.
   */
  @Override
  void close();
}
