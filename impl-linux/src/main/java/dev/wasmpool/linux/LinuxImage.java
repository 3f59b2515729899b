package dev.wasmpool.linux;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.support.BookedImage;
import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.support.OpenResources;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * A memory image held in a sealed {@code memfd}, mapped copy-on-write into reservations.
 *
 * <p>Creation: {@code memfd_create("wasm-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING)}, {@code
 * write} the contents, {@code ftruncate} to whole pages, then seal it with {@code F_SEAL_GROW |
 * F_SEAL_SHRINK | F_SEAL_WRITE | F_SEAL_SEAL}: from then on no one, this process included, can
 * change what a mapping of it reads. A private read-only mapping of the file ({@link #bytes()})
 * serves as the source when a reset restores a keep-resident prefix by copying.
 *
 * <p>Lifetime ({@link BookedImage}): every reservation mapping pins the image; the descriptor and
 * the read-only mapping are released once the image is closed and no longer pinned, after which
 * the kernel frees the file as soon as no reservation maps it either.
 *
 * <p>Thread-safe.
 */
final class LinuxImage extends BookedImage {

  /** The memfd name, visible in {@code /proc/self/maps} as {@code /memfd:wasm-memory-image}. */
  static final String MEMFD_NAME = "wasm-memory-image";

  /** The seals every image carries. */
  static final int SEALS =
      LibC.F_SEAL_GROW | LibC.F_SEAL_SHRINK | LibC.F_SEAL_WRITE | LibC.F_SEAL_SEAL;

  private final int fd;

  /** A private read-only mapping of the whole file. */
  private final MemorySegment bytes;

  private LinuxImage(OpenResources open, int fd, long byteSize, MemorySegment bytes) {
    super(open, byteSize);
    this.fd = fd;
    this.bytes = bytes;
  }

  /**
   * Creates a sealed image of {@code contents}, padded with zeros to whole pages.
   *
   * @param open the backend's open resources
   * @param contents the bytes, not empty
   * @param pageSize the page size
   * @return the image
   * @throws BackendException if a system call fails; nothing is left behind then
   */
  static LinuxImage create(OpenResources open, MemorySegment contents, long pageSize) {
    long length = contents.byteSize();
    long byteSize = (length + pageSize - 1) & -pageSize;
    int fd = LibC.memfdCreate(MEMFD_NAME, LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
    try {
      if (contents.isNative()) {
        LibC.writeFully(fd, contents);
      } else {
        // write() needs native memory: stage heap contents in a short-lived buffer.
        try (Arena arena = Arena.ofConfined()) {
          MemorySegment staged = arena.allocate(length);
          staged.copyFrom(contents);
          LibC.writeFully(fd, staged);
        }
      }
      LibC.ftruncate(fd, byteSize);
      LibC.fcntl(fd, LibC.F_ADD_SEALS, SEALS);
      long address = LibC.mmap(0, byteSize, LibC.PROT_READ, LibC.MAP_PRIVATE, fd, 0);
      return new LinuxImage(open, fd, byteSize, LibC.memoryAt(address, byteSize));
    } catch (RuntimeException e) {
      try {
        LibC.close(fd);
      } catch (BackendException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * The file descriptor; valid while pinned or open.
   *
   * @return the memfd
   */
  int fd() {
    return fd;
  }

  /** The image's bytes, through a private read-only mapping; valid while pinned or open. */
  @Override
  protected MemorySegment bytes() {
    return bytes;
  }

  @Override
  protected void release() {
    try {
      LibC.munmap(bytes.address(), byteSize());
    } finally {
      LibC.close(fd);
    }
  }

  @Override
  protected String describe() {
    return String.format(Locale.ROOT, "image fd=%d, byteSize=%s", fd, ByteCount.of(byteSize()));
  }
}
