package dev.wasmpool.linux;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Names and texts of Linux error numbers, for {@link dev.wasmpool.spi.BackendException}.
 *
 * <p>The numbers are the kernel's ABI ({@code asm-generic/errno-base.h} and {@code errno.h}, shared
 * by x86-64 and aarch64); the texts are glibc's {@code strerror} texts. A table instead of {@code
 * strerror_r} because glibc and musl export incompatible {@code strerror_r} variants and because a
 * table needs no native call on the error path. Numbers outside the table are reported as {@code
 * "errno <n>"}.
 */
final class Errno {

  /** {@code EINTR}: interrupted system call, retried by loops. */
  static final int EINTR = 4;

  /** {@code ENOMEM}: out of memory or address space. */
  static final int ENOMEM = 12;

  /** {@code EINVAL}: invalid argument. */
  static final int EINVAL = 22;

  /** {@code ENOSPC}: no space left (pkey_alloc: no key left, or keys unsupported). */
  static final int ENOSPC = 28;

  /** {@code ENOSYS}: function not implemented. */
  static final int ENOSYS = 38;

  /** Name and text, indexed by error number. */
  private static final String[] @Nullable [] TABLE = new String[134][];

  static {
    put(1, "EPERM", "Operation not permitted");
    put(2, "ENOENT", "No such file or directory");
    put(3, "ESRCH", "No such process");
    put(EINTR, "EINTR", "Interrupted system call");
    put(5, "EIO", "Input/output error");
    put(6, "ENXIO", "No such device or address");
    put(7, "E2BIG", "Argument list too long");
    put(8, "ENOEXEC", "Exec format error");
    put(9, "EBADF", "Bad file descriptor");
    put(10, "ECHILD", "No child processes");
    put(11, "EAGAIN", "Resource temporarily unavailable");
    put(ENOMEM, "ENOMEM", "Cannot allocate memory");
    put(13, "EACCES", "Permission denied");
    put(14, "EFAULT", "Bad address");
    put(15, "ENOTBLK", "Block device required");
    put(16, "EBUSY", "Device or resource busy");
    put(17, "EEXIST", "File exists");
    put(18, "EXDEV", "Invalid cross-device link");
    put(19, "ENODEV", "No such device");
    put(20, "ENOTDIR", "Not a directory");
    put(21, "EISDIR", "Is a directory");
    put(EINVAL, "EINVAL", "Invalid argument");
    put(23, "ENFILE", "Too many open files in system");
    put(24, "EMFILE", "Too many open files");
    put(25, "ENOTTY", "Inappropriate ioctl for device");
    put(26, "ETXTBSY", "Text file busy");
    put(27, "EFBIG", "File too large");
    put(ENOSPC, "ENOSPC", "No space left on device");
    put(29, "ESPIPE", "Illegal seek");
    put(30, "EROFS", "Read-only file system");
    put(31, "EMLINK", "Too many links");
    put(32, "EPIPE", "Broken pipe");
    put(33, "EDOM", "Numerical argument out of domain");
    put(34, "ERANGE", "Numerical result out of range");
    put(ENOSYS, "ENOSYS", "Function not implemented");
    put(75, "EOVERFLOW", "Value too large for defined data type");
    put(95, "EOPNOTSUPP", "Operation not supported");
    put(133, "EHWPOISON", "Memory page has hardware error");
  }

  private Errno() {}

  private static void put(int errno, String name, String text) {
    TABLE[errno] = new String[] {name, text};
  }

  /**
   * The symbolic name of an error number.
   *
   * @param errno the number
   * @return for example {@code "ENOMEM"}, or {@code "errno 200"} for numbers not in the table
   */
  static String name(int errno) {
    String @Nullable [] entry = errno > 0 && errno < TABLE.length ? TABLE[errno] : null;
    return entry == null ? "errno " + errno : entry[0];
  }

  /**
   * The text of an error number, as glibc's {@code strerror} gives it.
   *
   * @param errno the number
   * @return for example {@code "Cannot allocate memory"}, or {@code "Unknown error 200"}
   */
  static String text(int errno) {
    String @Nullable [] entry = errno > 0 && errno < TABLE.length ? TABLE[errno] : null;
    return entry == null ? "Unknown error " + errno : entry[1];
  }
}
