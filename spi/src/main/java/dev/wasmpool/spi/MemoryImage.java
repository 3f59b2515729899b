package dev.wasmpool.spi;

/**
 * Immutable initial contents of a linear memory, mapped into reservations with {@link
 * Reservation#mapImage}. On Linux this is a sealed {@code memfd}.
 *
 * <p>Thread-safe. Closing releases the backend's handle; reservations that still map the image
 * keep reading its bytes (and resets there keep restoring them) until the image is removed from
 * them or they are closed. What the image holds from the system (on Linux the {@code memfd}) is
 * released once it is closed and mapped nowhere.
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
