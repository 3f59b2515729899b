package dev.wasmpool.api.internal.memory;

import dev.wasmpool.spi.MemoryImage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A module's memory image as mapped into slots: the backend's {@link MemoryImage} and the offset
 * it goes to, with a count of its holders.
 *
 * <p>Holders are the module (one reference until it closes) and every slot that maps the image.
 * The backend image is closed when the last holder lets go, so an image is never closed while a
 * slot still maps it and is released as soon as no slot does (the point of purging affine slots
 * when a module closes). Two slots hold the same image exactly when they hold the same object.
 *
 * <p>Thread-safe.
 */
public final class ModuleImage {

  private final long offset;
  private final MemoryImage image;

  /** Holders; 0 means closed, and a closed image is never held again. */
  private final AtomicInteger holders = new AtomicInteger(1);

  /** Told once when the backend image is closed. */
  private final Consumer<ModuleImage> onClose;

  /**
   * Wraps a freshly created image; the caller holds the first reference.
   *
   * @param offset the byte offset the image is mapped at, page-aligned
   * @param image the backend image
   * @param onClose told once, after the backend image is closed
   */
  public ModuleImage(long offset, MemoryImage image, Consumer<ModuleImage> onClose) {
    this.offset = offset;
    this.image = image;
    this.onClose = onClose;
  }

  /**
   * Where the image goes in the memory.
   *
   * @return the byte offset
   */
  public long offset() {
    return offset;
  }

  /**
   * The image's length.
   *
   * @return bytes, a multiple of the backend's page size
   */
  public long byteSize() {
    return image.byteSize();
  }

  /**
   * The backend image, for mapping.
   *
   * @return the image
   */
  public MemoryImage image() {
    return image;
  }

  /**
   * Adds a holder, unless the image was closed.
   *
   * @return {@code true} if held; {@code false} if the image is closed (its module is gone)
   */
  public boolean tryRetain() {
    while (true) {
      int now = holders.get();
      if (now == 0) {
        return false;
      }
      if (holders.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  /** Removes a holder; the last one closes the backend image. */
  public void release() {
    int after = holders.decrementAndGet();
    assert after >= 0 : "image released more often than held";
    if (after == 0) {
      closeImage();
    }
  }

  /**
   * Closes the backend image whatever the holders (engine shutdown, after every reservation is
   * gone). Idempotent.
   */
  public void forceClose() {
    if (holders.getAndSet(0) > 0) {
      closeImage();
    }
  }

  private void closeImage() {
    try {
      image.close();
    } finally {
      onClose.accept(this);
    }
  }

  /**
   * Whether the backend image is still open.
   *
   * @return {@code false} once the last holder released it
   */
  public boolean isOpen() {
    return holders.get() > 0;
  }

  @Override
  public String toString() {
    return "ModuleImage[offset=" + offset + ", bytes=" + image.byteSize() + ", holders=" + holders.get() + "]";
  }
}
