package dev.wasmpool.linux;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import dev.wasmpool.spi.support.OpenResources;
import dev.wasmpool.spi.support.Ranges;
import java.lang.foreign.MemorySegment;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The Linux backend: reservations are {@code mmap}ed address space, images are sealed {@code
 * memfd}s mapped copy-on-write, resets decommit with {@code madvise(MADV_DONTNEED)} (only the
 * written pages, where {@link PageScan} can find them), and protection
 * keys are used where {@link ProtectionKeyProbe} proves the CPU and kernel support them.
 *
 * <p>Thread-safe. {@link #close()} refuses while a reservation or image is open ({@link
 * OpenResources}).
 */
final class LinuxBackend implements Backend {

  private final long pageSize;
  private final Capabilities capabilities;

  /** The keys facility, or {@code null} when keys are unsupported here. */
  private final @Nullable LinuxProtectionKeys keys;

  /** Finds written pages for resets, or {@code null} without {@code PAGEMAP_SCAN}. */
  private final @Nullable PageScan pageScan;


  /** The reservations and images handed out and not yet closed. */
  private final OpenResources open = new OpenResources(LinuxBackendProvider.NAME);

  private LinuxBackend(long pageSize, int protectionKeys, @Nullable PageScan pageScan) {
    this.pageSize = pageSize;
    this.pageScan = pageScan;
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
    return create(true);
  }

  /**
   * Creates the backend, with or without {@link PageScan} (tests compare the two).
   *
   * @param scanPages whether resets may use {@code PAGEMAP_SCAN} where the kernel has it
   * @return the backend
   * @throws BackendException if the page size cannot be read
   */
  static LinuxBackend create(boolean scanPages) {
    return new LinuxBackend(
        LibC.pageSize(), ProtectionKeyProbe.answer().keys(), scanPages ? PageScan.shared() : null);
  }

  /**
   * The page scanner resets use.
   *
   * @return the scanner, or {@code null} when resets decommit whole ranges
   */
  @Nullable PageScan pageScan() {
    return pageScan;
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
    String args = Ranges.requireReservationSize(byteSize, pageSize);
    open.reservationOpened("reserve", args);
    try {
      long address =
          LibC.mmap(
              0,
              byteSize,
              LibC.PROT_NONE,
              LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE,
              -1,
              0);
      return new LinuxReservation(this, open, address, byteSize, pageSize, keys);
    } catch (RuntimeException e) {
      open.reservationClosed();
      throw e;
    }
  }

  @Override
  public MemoryImage createImage(MemorySegment contents) {
    String args = Ranges.requireImageContents(contents);
    return open.createImage(args, () -> LinuxImage.create(open, contents, pageSize));
  }

  @Override
  public void decommit(DecommitBatch batch) {
    ProcessMadvise.get().decommit(batch);
  }

  @Override
  public String decommitMethod() {
    return ProcessMadvise.get().method();
  }

  @Override
  public ProtectionKeys protectionKeys() {
    LinuxProtectionKeys facility = keys;
    return facility == null ? ProtectionKeys.NONE : facility;
  }

  @Override
  public void close() {
    open.close();
  }

  @Override
  public String toString() {
    return "LinuxBackend[pageSize=" + pageSize + ", " + capabilities + "]";
  }
}
