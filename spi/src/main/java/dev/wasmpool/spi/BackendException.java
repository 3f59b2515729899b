package dev.wasmpool.spi;

import java.io.Serial;
import java.util.Objects;

/**
 * A backend operation failed: bad arguments, use after release, or a refusal by the operating
 * system. Carries the operation, its arguments and, for system errors, the OS error (on Linux the
 * {@code errno} name and text), for example {@code "mmap(addr=0x7f..., length=0x1000) failed:
 * ENOMEM (Cannot allocate memory)"}.
 */
public class BackendException extends RuntimeException {

  @Serial private static final long serialVersionUID = 1L;

  /** The operation that failed, for example {@code "mprotect"}. */
  private final String operation;

  /** The operation's arguments, formatted for people. */
  private final String arguments;

  /** The OS error number, or {@code 0} when the failure was not an OS error. */
  private final int errno;

  /** The OS error's symbolic name ({@code "ENOMEM"}), or the reason for non-OS failures. */
  private final String error;

  /**
   * A failure that is not an OS error (bad arguments, use after release, unsupported).
   *
   * @param operation the operation, for example {@code "reset"}
   * @param arguments its arguments, formatted for people
   * @param reason what was wrong
   */
  public BackendException(String operation, String arguments, String reason) {
    this(operation, arguments, 0, reason, "");
  }

  /**
   * A failure reported by the operating system.
   *
   * @param operation the system call, for example {@code "mmap"}
   * @param arguments its arguments, formatted for people
   * @param errno the OS error number
   * @param errorName the OS error's symbolic name, for example {@code "ENOMEM"}
   * @param errorText the OS error's text, for example {@code "Cannot allocate memory"}
   */
  public BackendException(
      String operation, String arguments, int errno, String errorName, String errorText) {
    super(
        Objects.requireNonNull(operation, "operation")
            + "("
            + Objects.requireNonNull(arguments, "arguments")
            + ") failed: "
            + Objects.requireNonNull(errorName, "errorName")
            + (errorText.isEmpty() ? "" : " (" + errorText + ")"));
    this.operation = operation;
    this.arguments = arguments;
    this.errno = errno;
    this.error = errorName;
  }

  /**
   * The operation that failed.
   *
   * @return for example {@code "madvise"}
   */
  public String operation() {
    return operation;
  }

  /**
   * The operation's arguments.
   *
   * @return the arguments, formatted for people
   */
  public String arguments() {
    return arguments;
  }

  /**
   * The OS error number.
   *
   * @return {@code errno}, or {@code 0} when the failure was not an OS error
   */
  public int errno() {
    return errno;
  }

  /**
   * The OS error's name, or the reason of a failure that was not an OS error.
   *
   * @return for example {@code "ENOMEM"}
   */
  public String error() {
    return error;
  }
}
