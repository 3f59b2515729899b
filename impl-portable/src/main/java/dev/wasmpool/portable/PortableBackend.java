package dev.wasmpool.portable;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Objects;

/**
 * The portable backend: plain Java, no native calls and nothing specific to an operating system.
 * Reservations commit memory lazily from arenas, images are copies, resets are fills and copies,
 * and there are no protection keys.
 *
 * <p>Thread-safe. The counts of open reservations and images are guarded by {@code this}, so that
 * {@link #close()} can refuse while any is open.
 */
final class PortableBackend implements Backend {

  /**
   * The granule of offsets and lengths: 4 KiB. Java cannot ask the operating system for its page
   * size without native code, and this backend maps nothing, so the granule is a choice: 4 KiB is
   * the page size of x86-64 and of most aarch64 systems, which keeps slab layouts, keep-resident
   * sizes and table sizes the same as with the Linux backend there, and it divides WebAssembly's
   * 64 KiB page. A larger granule would only waste memory on small tables.
   */
  static final long PAGE_SIZE = 4096;

  private static final Capabilities CAPABILITIES = new Capabilities(false, false, false, 0);

  /** Guarded by {@code this}. */
  private int openReservations;

  /** Guarded by {@code this}. */
  private int openImages;

  /** Guarded by {@code this}. */
  private boolean closed;

  /** Creates the backend; it allocates nothing until asked. */
  PortableBackend() {}

  @Override
  public String name() {
    return PortableBackendProvider.NAME;
  }

  @Override
  public long pageSize() {
    return PAGE_SIZE;
  }

  @Override
  public Capabilities capabilities() {
    return CAPABILITIES;
  }

  @Override
  public Reservation reserve(long byteSize) {
    if (byteSize <= 0 || byteSize % PAGE_SIZE != 0) {
      throw new BackendException(
          "reserve",
          "byteSize=0x" + Long.toHexString(byteSize),
          "byteSize must be a positive multiple of the page size 0x" + Long.toHexString(PAGE_SIZE));
    }
    opened("reserve", "byteSize=0x" + Long.toHexString(byteSize), true);
    return new PortableReservation(this, byteSize, PAGE_SIZE);
  }

  @Override
  public MemoryImage createImage(MemorySegment contents) {
    Objects.requireNonNull(contents, "contents");
    String args = "contents.byteSize=0x" + Long.toHexString(contents.byteSize());
    if (contents.byteSize() == 0) {
      throw new BackendException("createImage", args, "contents must not be empty");
    }
    opened("createImage", args, false);
    try {
      return PortableImage.create(this, contents, PAGE_SIZE);
    } catch (RuntimeException e) {
      imageClosed();
      throw e;
    }
  }

  @Override
  public ProtectionKeys protectionKeys() {
    return ProtectionKeys.NONE;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    if (openReservations > 0 || openImages > 0) {
      throw new BackendException(
          "close",
          "backend=" + PortableBackendProvider.NAME,
          String.format(
              Locale.ROOT,
              "%d reservations and %d images are still open; close them first",
              openReservations,
              openImages));
    }
    closed = true;
  }

  /** Counts a reservation or image about to be made; refuses once closed. */
  private synchronized void opened(String operation, String args, boolean reservation) {
    if (closed) {
      throw new BackendException(operation, args, "the backend was closed");
    }
    if (reservation) {
      openReservations++;
    } else {
      openImages++;
    }
  }

  /** Called by a reservation once it is closed. */
  synchronized void reservationClosed() {
    openReservations--;
  }

  /** Called by an image once it is closed. */
  synchronized void imageClosed() {
    openImages--;
  }

  @Override
  public String toString() {
    return "PortableBackend[pageSize=" + PAGE_SIZE + ", " + CAPABILITIES + "]";
  }
}
