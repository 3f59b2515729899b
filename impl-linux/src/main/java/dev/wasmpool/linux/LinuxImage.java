package dev.wasmpool.linux;

import dev.wasmpool.spi.support.ByteCount;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.MemoryImage;
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
 * <p>Lifetime: every reservation mapping pins the image. {@link #close()} forbids new mappings;
 * the descriptor and the read-only mapping are released once the image is closed and no longer
 * pinned, after which the kernel frees the file as soon as no reservation maps it either.
 *
 * <p>Thread-safe: the pin count and closed flag are guarded by {@code this}.
 */
final class LinuxImage implements MemoryImage {

  /** The memfd name, visible in {@code /proc/self/maps} as {@code /memfd:wasm-memory-image}. */
  static final String MEMFD_NAME = "wasm-memory-image";

  /** The seals every image carries. */
  static final int SEALS =
      LibC.F_SEAL_GROW | LibC.F_SEAL_SHRINK | LibC.F_SEAL_WRITE | LibC.F_SEAL_SEAL;

  private final LinuxBackend owner;
  private final int fd;
  private final long byteSize;

  /** A private read-only mapping of the whole file. */
  private final MemorySegment bytes;

  /** Whether {@link #close()} ran; guarded by {@code this}. */
  private boolean closed;

  /** Mappings in reservations plus mappings in progress; guarded by {@code this}. */
  private int pins;

  /** Whether the descriptor and read-only mapping are gone; guarded by {@code this}. */
  private boolean released;

  private LinuxImage(LinuxBackend owner, int fd, long byteSize, MemorySegment bytes) {
    this.owner = owner;
    this.fd = fd;
    this.byteSize = byteSize;
    this.bytes = bytes;
  }

  /**
   * Creates a sealed image of {@code contents}, padded with zeros to whole pages.
   *
   * @param owner the backend that creates it
   * @param contents the bytes, not empty
   * @param pageSize the page size
   * @return the image
   * @throws BackendException if a system call fails; nothing is left behind then
   */
  static LinuxImage create(LinuxBackend owner, MemorySegment contents, long pageSize) {
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
      return new LinuxImage(owner, fd, byteSize, LibC.memoryAt(address, byteSize));
    } catch (RuntimeException e) {
      try {
        LibC.close(fd);
      } catch (BackendException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public long byteSize() {
    return byteSize;
  }

  /**
   * The backend that created this image.
   *
   * @return the owner
   */
  LinuxBackend owner() {
    return owner;
  }

  /**
   * The file descriptor; valid while pinned or open.
   *
   * @return the memfd
   */
  int fd() {
    return fd;
  }

  /**
   * The image's bytes, through a private read-only mapping; valid while pinned or open.
   *
   * @return the bytes
   */
  MemorySegment bytes() {
    return bytes;
  }

  /**
   * Pins the image for a mapping about to be made.
   *
   * @param operation the operation, for the error
   * @param offset where the image is to be mapped, for the error
   * @throws BackendException if the image was closed
   */
  synchronized void pin(String operation, long offset) {
    if (closed) {
      throw new BackendException(
          operation,
          "offset=" + ByteCount.of(offset) + ", image=" + this,
          "the image was closed");
    }
    pins++;
  }

  /**
   * Drops a pin: a mapping was removed or never made. Releases the image's descriptor and
   * read-only mapping if it is closed and this was the last pin.
   *
   * @throws BackendException if releasing fails
   */
  void unpin() {
    boolean release;
    synchronized (this) {
      assert pins > 0 : "unpin without pin";
      pins--;
      release = closed && pins == 0 && !released;
      released |= release;
    }
    if (release) {
      release();
    }
  }

  @Override
  public void close() {
    boolean release;
    synchronized (this) {
      if (closed) {
        throw new BackendException(
            "close", describe(), "the image was already closed");
      }
      closed = true;
      release = pins == 0;
      released = release;
    }
    owner.imageClosed();
    if (release) {
      release();
    }
  }

  private void release() {
    try {
      LibC.munmap(bytes.address(), byteSize);
    } finally {
      LibC.close(fd);
    }
  }

  private String describe() {
    return String.format(Locale.ROOT, "image fd=%d, byteSize=%s", fd, ByteCount.of(byteSize));
  }

  @Override
  public synchronized String toString() {
    return "LinuxImage[" + describe() + (closed ? ", closed" : "") + ", pins=" + pins + "]";
  }
}
