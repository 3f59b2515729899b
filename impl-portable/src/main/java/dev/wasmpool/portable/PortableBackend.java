package dev.wasmpool.portable;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;

/** The portable backend (being written: see the backends issue). */
final class PortableBackend implements Backend {
  @Override
  public String name() {
    return PortableBackendProvider.NAME;
  }

  @Override
  public long pageSize() {
    return 65536;
  }

  @Override
  public Capabilities capabilities() {
    return new Capabilities(false, false, false, 0);
  }

  @Override
  public Reservation reserve(long byteSize) {
    throw new BackendException("reserve", "byteSize=" + byteSize, "not implemented yet");
  }

  @Override
  public MemoryImage createImage(MemorySegment contents) {
    throw new BackendException("createImage", "", "not implemented yet");
  }

  @Override
  public ProtectionKeys protectionKeys() {
    return ProtectionKeys.NONE;
  }

  @Override
  public void close() {}
}
