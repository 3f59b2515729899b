package dev.wasmpool.samples.counting;

import dev.wasmpool.spi.MemoryImage;

/**
 * A memory image of the counting backend: the wrapped backend's image, whose close is counted.
 *
 * <p>Thread-safe as the wrapped image.
 */
final class CountingImage implements MemoryImage {

  private final MemoryImage delegate;

  CountingImage(MemoryImage delegate) {
    this.delegate = delegate;
  }

  /** The wrapped backend's image, which the wrapped reservations accept. */
  MemoryImage delegate() {
    return delegate;
  }

  @Override
  public long byteSize() {
    return delegate.byteSize();
  }

  @Override
  public void close() {
    OperationStats.time(Operation.CLOSE_IMAGE, delegate::close);
  }
}
