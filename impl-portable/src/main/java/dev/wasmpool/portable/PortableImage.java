package dev.wasmpool.portable;

import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.MemoryImage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A memory image held as a private copy of its bytes, padded with zeros to whole pages; mapping it
 * copies the bytes into the reservation.
 *
 * <p>The bytes live in an automatic arena: they stay allocated while this image or any reservation
 * that maps it is reachable, so a reservation can keep restoring them after the image was closed.
 *
 * <p>Thread-safe: the closed flag is guarded by {@code this}; the bytes never change.
 */
final class PortableImage implements MemoryImage {

  private final PortableBackend owner;

  /** The image's bytes, read-only. */
  private final MemorySegment bytes;

  /** Guarded by {@code this}. */
  private boolean closed;

  private PortableImage(PortableBackend owner, MemorySegment bytes) {
    this.owner = owner;
    this.bytes = bytes;
  }

  /**
   * Copies {@code contents} into a new image.
   *
   * @param owner the backend that creates it
   * @param contents the bytes, not empty
   * @param pageSize the page size to pad to
   * @return the image
   * @throws BackendException if the memory cannot be allocated
   */
  static PortableImage create(PortableBackend owner, MemorySegment contents, long pageSize) {
    long length = contents.byteSize();
    long byteSize = (length + pageSize - 1) & -pageSize;
    MemorySegment bytes;
    try {
      bytes = Arena.ofAuto().allocate(byteSize, pageSize); // zero-filled: the padding reads zero
    } catch (OutOfMemoryError e) {
      throw new BackendException(
          "createImage",
          "contents.byteSize=" + ByteCount.of(length),
          "cannot allocate " + ByteCount.of(byteSize) + ": " + e.getMessage());
    }
    MemorySegment.copy(contents, 0, bytes, 0, length);
    return new PortableImage(owner, bytes.asReadOnly());
  }

  @Override
  public long byteSize() {
    return bytes.byteSize();
  }

  /**
   * The backend that created this image.
   *
   * @return the owner
   */
  PortableBackend owner() {
    return owner;
  }

  /**
   * The image's bytes; readable for as long as this object is reachable.
   *
   * @return a read-only segment
   */
  MemorySegment bytes() {
    return bytes;
  }

  /**
   * Fails if the image was closed.
   *
   * @param operation the operation, for the error
   * @param offset where the image was to be mapped, for the error
   * @throws BackendException if closed
   */
  synchronized void requireOpen(String operation, long offset) {
    if (closed) {
      throw new BackendException(
          operation, "offset=" + ByteCount.of(offset) + ", image=" + this, "the image was closed");
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        throw new BackendException(
            "close",
            "image byteSize=" + ByteCount.of(bytes.byteSize()),
            "the image was already closed");
      }
      closed = true;
    }
    owner.imageClosed();
  }

  @Override
  public synchronized String toString() {
    return "PortableImage[byteSize=" + ByteCount.of(bytes.byteSize())
        + (closed ? ", closed" : "")
        + "]";
  }
}
