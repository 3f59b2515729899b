package dev.wasmpool.samples.counting;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;

/**
 * A backend that decorates another: it does nothing itself, forwards every call to the wrapped
 * backend, and counts and times each operation in {@link OperationStats}. It reports the wrapped
 * backend's page size and capabilities, so the engine plans exactly as it would without it.
 *
 * <p>Thread-safe as the wrapped backend.
 */
final class CountingBackend implements Backend {

  private final Backend delegate;

  CountingBackend(Backend delegate) {
    this.delegate = delegate;
  }

  /** The wrapped backend's name, for diagnostics. */
  String delegateName() {
    return delegate.name();
  }

  @Override
  public String name() {
    return CountingBackendProvider.NAME;
  }

  @Override
  public long pageSize() {
    return delegate.pageSize();
  }

  @Override
  public Capabilities capabilities() {
    return delegate.capabilities();
  }

  @Override
  public Reservation reserve(long byteSize) {
    return new CountingReservation(OperationStats.time(Operation.RESERVE, () -> delegate.reserve(byteSize)));
  }

  @Override
  public MemoryImage createImage(MemorySegment contents) {
    return new CountingImage(OperationStats.time(Operation.CREATE_IMAGE, () -> delegate.createImage(contents)));
  }

  @Override
  public ProtectionKeys protectionKeys() {
    return delegate.protectionKeys();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "counting(" + delegate.name() + ")";
  }
}
