package dev.wasmpool.spi;

import java.util.Objects;

/**
 * A provider's answer to "can you run here?".
 *
 * @param supported whether the backend can run in this JVM on this machine
 * @param reason why it cannot (or a short description of what it will use when it can)
 * @param nativeAccessDisabled whether the one thing missing is native access for the provider's
 *     module: the engine then names the exact {@code --enable-native-access} flag, with every
 *     module that needs it, in its warning or error
 */
public record Support(boolean supported, String reason, boolean nativeAccessDisabled) {

  /**
   * Checks the reason is present and that a supported backend lacks nothing.
   *
   * @throws IllegalArgumentException if {@code supported} and {@code nativeAccessDisabled} are
   *     both set
   */
  public Support {
    Objects.requireNonNull(reason, "reason");
    if (supported && nativeAccessDisabled) {
      throw new IllegalArgumentException("a supported backend cannot lack native access");
    }
  }

  /**
   * An answer that lacks nothing but what {@code supported} says.
   *
   * @param supported whether the backend can run in this JVM on this machine
   * @param reason why it cannot (or a short description of what it will use when it can)
   */
  public Support(boolean supported, String reason) {
    this(supported, reason, false);
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

  /**
   * The backend would run here if the JVM let its module call native code (the JDK's {@code
   * --enable-native-access}); a provider answers this only when nothing else stands in the way.
   *
   * @param reason why, for example {@code "native access is not enabled for dev.wasmpool.linux"}
   * @return an unsupported answer that the engine completes with the exact flag
   */
  public static Support nativeAccessDisabled(String reason) {
    return new Support(false, reason, true);
  }
}
