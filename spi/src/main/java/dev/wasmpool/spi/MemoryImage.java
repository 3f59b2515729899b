package dev.wasmpool.spi;

/**
 * Immutable initial contents of a linear memory, mapped into reservations with {@link
 * Reservation#mapImage}. On Linux this is a sealed {@code memfd}.
 *
 * <p>Thread-safe. Closing releases the backend's handle; reservations that still map the image
 * keep reading its bytes until the image is removed from them.
 */
public interface MemoryImage extends AutoCloseable {

  /**
   * The image's size.
   *
   * @return its size in bytes, a multiple of the backend's page size
   */
  long byteSize();

  /**
   * Releases the image.
   *
   * @throws BackendException if it was already closed
   */
  @Override
  void close();
}
