package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.internal.memory.ModuleImages;
import java.util.Objects;

/**
 * A module registered with an engine: its descriptor, its identity for affinity and its images.
 *
 * <p>Thread-safe.
 */
final class RegisteredModule implements PooledModule {

  private final EngineImpl engine;
  private final long id;
  private final ModuleDescriptor descriptor;
  private final ModuleImages images;

  RegisteredModule(EngineImpl engine, long id, ModuleDescriptor descriptor, ModuleImages images) {
    this.engine = engine;
    this.id = id;
    this.descriptor = descriptor;
    this.images = images;
  }

  @Override
  public ModuleDescriptor descriptor() {
    return descriptor;
  }

  @Override
  public boolean hasImage(int memoryIndex) {
    Objects.checkIndex(memoryIndex, images.memoryCount());
    return images.hasImage(memoryIndex);
  }

  @Override
  public InstanceAllocation allocate() {
    return engine.allocate(this);
  }

  /**
   * Purges this module's affine slots (removing its images from them) and releases its images.
   * Allocations still open keep working; their slots are purged when they close.
   */
  /** The engine's number for this module (names may repeat). */
  long id() {
    return id;
  }

  @Override
  public void close() {
    engine.closeModule(this);
  }

  @Override
  public String toString() {
    return "PooledModule[" + descriptor.name() + ", id=" + id + (images.isClosed() ? ", closed" : "") + "]";
  }

  ModuleImages images() {
    return images;
  }
}
