package dev.wasmpool.portable;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.support.BookedImage;
import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.support.OpenResources;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A memory image held as a private copy of its bytes, padded with zeros to whole pages; mapping it
 * copies the bytes into the reservation.
 *
 * <p>The bytes live in an automatic arena: they stay allocated while this image or any reservation
 * that maps it is reachable, so a reservation can keep restoring them after the image was closed;
 * there is nothing to release on close ({@link BookedImage} counts the pins all the same).
 *
 * <p>Thread-safe: the bytes never change.
 */
final class PortableImage extends BookedImage {

  /** The image's bytes, read-only. */
  private final MemorySegment bytes;

  private PortableImage(OpenResources open, MemorySegment bytes) {
    super(open, bytes.byteSize());
    this.bytes = bytes;
  }

  /**
   * Copies {@code contents} into a new image.
   *
   * @param open the backend's open resources
   * @param contents the bytes, not empty
   * @param pageSize the page size to pad to
   * @return the image
   * @throws BackendException if the memory cannot be allocated
   */
  static PortableImage create(OpenResources open, MemorySegment contents, long pageSize) {
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
    return new PortableImage(open, bytes.asReadOnly());
  }

  /** The image's bytes; readable for as long as this object is reachable. */
  @Override
  protected MemorySegment bytes() {
    return bytes;
  }

  @Override
  protected void release() {
    // The automatic arena frees the bytes once no reservation's books refer to this image.
  }
}
