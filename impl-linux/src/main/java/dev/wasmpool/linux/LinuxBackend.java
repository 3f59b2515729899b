package dev.wasmpool.linux;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The Linux backend: reservations are {@code mmap}ed address space, images are sealed {@code
 * memfd}s mapped copy-on-write, resets decommit with {@code madvise(MADV_DONTNEED)}, and protection
 * keys are used where {@link ProtectionKeyProbe} proves the CPU and kernel support them.
 *
 * <p>Thread-safe. The counts of open reservations and images are guarded by {@code this}, so that
 * {@link #close()} can refuse while any is open.
 */
final class LinuxBackend implements Backend {

  private final long pageSize;
  private final Capabilities capabilities;

  /** The keys facility, or {@code null} when keys are unsupported here. */
  private final @Nullable LinuxProtectionKeys keys;

  /** Guarded by {@code this}. */
  private int openReservations;

  /** Guarded by {@code this}. */
  private int openImages;

  /** Guarded by {@code this}. */
  private boolean closed;

  private LinuxBackend(long pageSize, int protectionKeys) {
    this.pageSize = pageSize;
    this.keys = protectionKeys > 0 ? new LinuxProtectionKeys() : null;
    this.capabilities = new Capabilities(true, true, true, protectionKeys);
  }

  /**
   * Creates the backend: reads the page size and probes protection keys (once per process).
   *
   * @return the backend
   * @throws BackendException if the page size cannot be read
   */
  static LinuxBackend create() {
    return new LinuxBackend(LibC.pageSize(), ProtectionKeyProbe.answer().keys());
  }

  @Override
  public String name() {
    return LinuxBackendProvider.NAME;
  }

  @Override
  public long pageSize() {
    return pageSize;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public Reservation reserve(long byteSize) {
    String args = "byteSize=0x" + Long.toHexString(byteSize);
    if (byteSize <= 0 || byteSize % pageSize != 0) {
      throw new BackendException(
          "reserve",
          args,
          "byteSize must be a positive multiple of the page size 0x" + Long.toHexString(pageSize));
    }
    opened("reserve", args, true);
    try {
      long address =
          LibC.mmap(
              0,
              byteSize,
              LibC.PROT_NONE,
              LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE,
              -1,
              0);
      return new LinuxReservation(this, address, byteSize, pageSize, keys);
    } catch (RuntimeException e) {
      reservationClosed();
      throw e;
    }
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
      return LinuxImage.create(this, contents, pageSize);
    } catch (RuntimeException e) {
      imageClosed();
      throw e;
    }
  }

  @Override
  public ProtectionKeys protectionKeys() {
    LinuxProtectionKeys facility = keys;
    return facility == null ? ProtectionKeys.NONE : facility;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    if (openReservations > 0 || openImages > 0) {
      throw new BackendException(
          "close",
          "backend=" + LinuxBackendProvider.NAME,
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

  /** Called by a reservation once it is unmapped. */
  synchronized void reservationClosed() {
    openReservations--;
  }

  /** Called by an image once it is closed. */
  synchronized void imageClosed() {
    openImages--;
  }

  @Override
  public String toString() {
    return "LinuxBackend[pageSize=" + pageSize + ", " + capabilities + "]";
  }
}
