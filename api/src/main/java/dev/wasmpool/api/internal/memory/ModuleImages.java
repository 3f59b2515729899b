package dev.wasmpool.api.internal.memory;

import dev.wasmpool.api.binding.MemoryInit;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.internal.index.AffinityKey;
import dev.wasmpool.spi.Backend;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The memory side of one registered module: its affinity keys, which of its memories get an
 * image, the images themselves (built on first use, once) and whether the module was closed.
 *
 * <p>Closing works with the pools in two steps that cannot miss each other: {@link #markClosed()}
 * is written before the pools purge the module's affine slots, and a pool that frees a slot reads
 * {@link #isClosed()} after freeing it and purges that slot itself when it sees the module closed.
 * Either the purge finds the freed slot or the freeing thread sees the flag.
 *
 * <p>Thread-safe.
 */
public final class ModuleImages {

  private final AffinityKey[] keys;
  private final Memory[] memories;
  private final Backend backend;
  private final Consumer<ModuleImage> onImageClose;

  /** Set once by {@link #markClosed()}; see the class comment. */
  private volatile boolean closed;

  /**
   * The images of a module.
   *
   * @param moduleId the module's identity for affinity
   * @param descriptor the module
   * @param copyOnWrite whether images are used at all ({@code memoryInitCow})
   * @param backend creates the images
   * @param onImageCreate told of every image built (the engine closes leftovers at shutdown)
   * @param onImageClose told when an image's backend image is closed
   */
  public ModuleImages(
      long moduleId,
      ModuleDescriptor descriptor,
      boolean copyOnWrite,
      Backend backend,
      Consumer<ModuleImage> onImageCreate,
      Consumer<ModuleImage> onImageClose) {
    this.backend = backend;
    this.onImageClose = onImageClose;
    int count = descriptor.memories().size();
    keys = new AffinityKey[count];
    memories = new Memory[count];
    for (int i = 0; i < count; i++) {
      keys[i] = new AffinityKey(moduleId, i);
      List<MemoryInit> inits = ImagePlanner.initsOf(descriptor.memoryInits(), i);
      boolean eligible =
          copyOnWrite && ImagePlanner.eligible(descriptor.memories().get(i), inits, backend.pageSize());
      memories[i] = new Memory(eligible, eligible ? inits : List.of(), onImageCreate);
    }
  }

  /**
   * The number of defined memories.
   *
   * @return the count
   */
  public int memoryCount() {
    return memories.length;
  }

  /**
   * The affinity key of a memory.
   *
   * @param memoryIndex the defined memory's index
   * @return the key, the same object on every call
   */
  public AffinityKey key(int memoryIndex) {
    return keys[memoryIndex];
  }

  /**
   * Whether a memory's constant data comes from an image (possibly an empty one).
   *
   * @param memoryIndex the defined memory's index
   * @return {@code true} if slots bring the data in place
   */
  public boolean hasImage(int memoryIndex) {
    return memories[memoryIndex].eligible;
  }

  /**
   * The image of a memory, built on the first call.
   *
   * @param memoryIndex the defined memory's index
   * @return the image; {@code null} when the memory has no image or its image would be all zero
   * @throws IllegalStateException if the module was closed
   * @throws dev.wasmpool.spi.BackendException if the backend cannot create the image
   */
  public @Nullable ModuleImage image(int memoryIndex) {
    Memory memory = memories[memoryIndex];
    if (memory.built) {
      return memory.image;
    }
    return memory.build(this);
  }

  /**
   * Whether the module was closed.
   *
   * @return {@code true} after {@link #markClosed()}
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Marks the module closed; from now on no image is built and freed slots are purged.
   *
   * @return {@code true} if this call closed it, {@code false} if it was closed already
   */
  public boolean markClosed() {
    synchronized (this) {
      if (closed) {
        return false;
      }
      closed = true;
      return true;
    }
  }

  /**
   * Lets go of the module's own reference to each built image: an image is closed now if no slot
   * maps it, or when the last slot that maps it is purged or reset. Call after {@link
   * #markClosed()}.
   */
  public void releaseImages() {
    assert closed;
    for (Memory memory : memories) {
      ModuleImage image;
      synchronized (this) {
        // The field keeps the image: a racing allocation that read it fails to retain it (it is
        // closed) instead of instantiating a memory without its data.
        image = memory.released ? null : memory.image;
        memory.released = true;
      }
      if (image != null) {
        image.release();
      }
    }
  }

  /** One memory's image state; {@code image} is written before {@code built} publishes it. */
  private static final class Memory {
    final boolean eligible;
    final List<MemoryInit> inits;
    final Consumer<ModuleImage> onCreate;
    volatile boolean built;
    @Nullable ModuleImage image;
    boolean released;

    Memory(boolean eligible, List<MemoryInit> inits, Consumer<ModuleImage> onCreate) {
      this.eligible = eligible;
      this.inits = inits;
      this.onCreate = onCreate;
      this.built = !eligible;
    }

    @Nullable ModuleImage build(ModuleImages owner) {
      synchronized (owner) {
        if (owner.closed) {
          throw new IllegalStateException("module was closed");
        }
        if (!built) {
          ImagePlanner.ImageContents contents = ImagePlanner.build(inits, owner.backend.pageSize());
          if (!contents.isEmpty()) {
            ModuleImage created =
                new ModuleImage(
                    contents.offset(),
                    owner.backend.createImage(MemorySegment.ofArray(contents.bytes())),
                    owner.onImageClose);
            onCreate.accept(created);
            image = created;
          }
          built = true;
        }
        return image;
      }
    }
  }
}
