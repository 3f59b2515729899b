package dev.wasmpool.samples.counting;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;

/**
 * A reservation of the counting backend: every call goes to the wrapped backend's reservation,
 * and every call that changes memory is counted and timed. {@link #segment()} is not counted: the
 * pool reads it on hot paths, and it does no work.
 *
 * <p>Thread-safe as the wrapped reservation.
 */
final class CountingReservation implements Reservation {

  private final Reservation delegate;

  CountingReservation(Reservation delegate) {
    this.delegate = delegate;
  }

  @Override
  public long byteSize() {
    return delegate.byteSize();
  }

  @Override
  public MemorySegment segment() {
    return delegate.segment();
  }

  @Override
  public long residentBytes() {
    return delegate.residentBytes();
  }

  @Override
  public void releaseReplacedSegments() {
    delegate.releaseReplacedSegments();
  }

  @Override
  public void makeAccessible(long offset, long length) {
    OperationStats.time(Operation.MAKE_ACCESSIBLE, () -> delegate.makeAccessible(offset, length));
  }

  @Override
  public void makeInaccessible(long offset, long length) {
    OperationStats.time(Operation.MAKE_INACCESSIBLE, () -> delegate.makeInaccessible(offset, length));
  }

  @Override
  public void reset(long offset, long length, long keepResidentBytes) {
    OperationStats.time(Operation.RESET, () -> delegate.reset(offset, length, keepResidentBytes));
  }

  @Override
  public void mapImage(long offset, MemoryImage image) {
    // The wrapped reservation accepts only its own backend's images: unwrap ours.
    if (!(image instanceof CountingImage counting)) {
      throw new BackendException(
          "mapImage", "offset=0x" + Long.toHexString(offset), "the image is not from the counting backend");
    }
    OperationStats.time(Operation.MAP_IMAGE, () -> delegate.mapImage(offset, counting.delegate()));
  }

  @Override
  public void removeImage(long offset) {
    OperationStats.time(Operation.REMOVE_IMAGE, () -> delegate.removeImage(offset));
  }

  @Override
  public void colour(long offset, long length, ProtectionKey key) {
    OperationStats.time(Operation.COLOUR, () -> delegate.colour(offset, length, key));
  }

  /** Rare (only an engine closed under a running instance), so not timed. */
  @Override
  public boolean revoke(long offset, long length) {
    return delegate.revoke(offset, length);
  }

  @Override
  public void close() {
    OperationStats.time(Operation.RELEASE, delegate::close);
  }
}
