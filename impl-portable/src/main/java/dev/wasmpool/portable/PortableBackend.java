package dev.wasmpool.portable;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import dev.wasmpool.spi.support.OpenResources;
import dev.wasmpool.spi.support.Ranges;
import java.lang.foreign.MemorySegment;

/**
 * The portable backend: plain Java, no native calls and nothing specific to an operating system.
 * Reservations allocate memory as it is needed, about as much as is accessible ({@link
 * PortableReservation}); images are copies, resets are fills and copies, and there are no
 * protection keys.
 *
 * <p>Thread-safe. {@link #close()} refuses while a reservation or image is open ({@link
 * OpenResources}).
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


  /** The reservations and images handed out and not yet closed. */
  private final OpenResources open = new OpenResources(PortableBackendProvider.NAME);

  /** Creates the backend; it allocates nothing until asked. */
  PortableBackend() {}

  /** Resets write in place, so a batch has no system call to save: each range is reset at once. */
  @Override
  public String decommitMethod() {
    return "reset in place by writing (no system call to batch)";
  }

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
    open.reservationOpened("reserve", Ranges.requireReservationSize(byteSize, PAGE_SIZE));
    return new PortableReservation(open, byteSize, PAGE_SIZE);
  }

  @Override
  public MemoryImage createImage(MemorySegment contents) {
    String args = Ranges.requireImageContents(contents);
    return open.createImage(args, () -> PortableImage.create(open, contents, PAGE_SIZE));
  }

  @Override
  public ProtectionKeys protectionKeys() {
    return ProtectionKeys.NONE;
  }

  @Override
  public void close() {
    open.close();
  }

  @Override
  public String toString() {
    return "PortableBackend[pageSize=" + PAGE_SIZE + ", " + CAPABILITIES + "]";
  }
}
