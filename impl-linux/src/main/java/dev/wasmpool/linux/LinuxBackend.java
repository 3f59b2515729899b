package dev.wasmpool.linux;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;

/** The Linux backend (being written: see the backends issue). */
final class LinuxBackend {
  private LinuxBackend() {}

  static Backend create() {
    throw new BackendException("create", "linux", "not implemented yet");
  }
}
