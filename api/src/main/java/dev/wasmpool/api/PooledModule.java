package dev.wasmpool.api;

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
   * @throws PoolExhaustedException if a pool has no free slot
   * @throws IllegalStateException if the module or engine was closed
   */
  InstanceAllocation allocate();

  /** Purges this module's affine slots. Idempotent. */
  @Override
  void close();
}
