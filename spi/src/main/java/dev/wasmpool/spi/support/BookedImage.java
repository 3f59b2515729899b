package dev.wasmpool.spi.support;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.MemoryImage;
import java.lang.foreign.MemorySegment;

/**
 * A {@link MemoryImage} whose lifetime is counted here, once for every backend: each mapping in a
 * {@link BookedReservation} pins it, {@link #close()} forbids new mappings, and what the image
 * holds from the system is released ({@link #release()}) once it is closed and pinned nowhere. A
 * backend extends it with the image's bytes and that release.
 *
 * <p>Thread-safe: the pin count and closed flag are guarded by {@code this}.
 */
public abstract class BookedImage implements MemoryImage {

  private final OpenResources open;
  private final long byteSize;

  /** Whether {@link #close()} ran; guarded by {@code this}. */
  private boolean closed;

  /** Mappings in reservations plus mappings in progress; guarded by {@code this}. */
  private int pins;

  /** Whether {@link #release()} ran or is running; guarded by {@code this}. */
  private boolean released;

  /**
   * Books a new image, counted open in {@code open} by its backend.
   *
   * @param open the backend's open resources: told when this image closes, and the mark of which
   *     backend made it
   * @param byteSize the image's size, a multiple of the page size
   */
  protected BookedImage(OpenResources open, long byteSize) {
    this.open = open;
    this.byteSize = byteSize;
  }

  /**
   * The image's bytes, for mapping by copying and for restoring by writing; valid while the image
   * is open or pinned.
   *
   * @return the bytes, {@link #byteSize()} long
   */
  protected abstract MemorySegment bytes();

  /**
   * Releases what the image holds from the system; called once, when it is closed and pinned
   * nowhere.
   *
   * @throws BackendException if the system refuses
   */
  protected abstract void release();

  /**
   * The image, for messages.
   *
   * @return for example {@code image byteSize=65536 bytes (64 KiB)}
   */
  protected String describe() {
    return "image byteSize=" + ByteCount.of(byteSize);
  }

  @Override
  public final long byteSize() {
    return byteSize;
  }

  /** Whether the backend counting in {@code resources} made this image. */
  final boolean madeBy(OpenResources resources) {
    return open == resources;
  }

  /**
   * Pins the image for a mapping about to be made.
   *
   * @throws BackendException if the image was closed
   */
  final synchronized void pin(String operation, long offset) {
    if (closed) {
      throw new BackendException(
          operation,
          "offset=" + ByteCount.of(offset) + ", image=" + this,
          "the image was closed");
    }
    pins++;
  }

  /** Drops a pin: a mapping was removed or never made. Releases a closed image's last pin. */
  final void unpin() {
    boolean release;
    synchronized (this) {
      assert pins > 0 : "unpin without pin";
      pins--;
      release = closed && pins == 0 && !released;
      released |= release;
    }
    if (release) {
      release();
    }
  }

  @Override
  public final void close() {
    boolean release;
    synchronized (this) {
      if (closed) {
        throw new BackendException("close", describe(), "the image was already closed");
      }
      closed = true;
      release = pins == 0;
      released = release;
    }
    open.imageClosed();
    if (release) {
      release();
    }
  }

  @Override
  public synchronized String toString() {
    return getClass().getSimpleName()
        + "["
        + describe()
        + (closed ? ", closed" : "")
        + ", pins="
        + pins
        + "]";
  }
}
