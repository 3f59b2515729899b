package dev.wasmpool.spi;

import java.util.Objects;

/**
 * A provider's answer to "can you run here?".
 *
 * @param supported whether the backend can run in this JVM on this machine
 * @param reason why it cannot (or a short description of what it will use when it can)
 */
public record Support(boolean supported, String reason) {

  /** Checks the reason is present. */
  public Support {
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * The backend can run here.
   *
   * @param detail what the backend will use, for diagnostics (for example the kernel version)
   * @return a supported answer
   */
  public static Support supported(String detail) {
    return new Support(true, detail);
  }

  /**
   * The backend cannot run here.
   *
   * @param reason why, phrased so that a user can act on it
   * @return an unsupported answer
   */
  public static Support unsupported(String reason) {
    return new Support(false, reason);
  }
}
