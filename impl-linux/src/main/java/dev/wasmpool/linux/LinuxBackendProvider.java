package dev.wasmpool.linux;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Support;
import java.util.Locale;

/**
 * Provides the Linux backend. Supported on Linux (x86-64 and aarch64) when this module may call
 * native code ({@code --enable-native-access=dev.wasmpool.linux}, or {@code ALL-UNNAMED} on the
 * class path).
 */
public final class LinuxBackendProvider implements BackendProvider {

  /** The name users select this backend by. */
  public static final String NAME = "linux";

  /** Creates the provider; it touches no native memory until {@link #create()}. */
  public LinuxBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 100;
  }

  @Override
  public Support support() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (!os.startsWith("linux")) {
      return Support.unsupported("the linux backend needs Linux (this is " + os + ")");
    }
    String arch = System.getProperty("os.arch", "");
    if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
      return Support.unsupported("the linux backend needs x86-64 or aarch64 (this is " + arch + ")");
    }
    if (!LinuxBackendProvider.class.getModule().isNativeAccessEnabled()) {
      return Support.unsupported(
          "native access is not enabled for "
              + moduleName()
              + "; start the JVM with --enable-native-access="
              + moduleName());
    }
    return Support.supported("Linux " + System.getProperty("os.version", "?") + " on " + arch);
  }

  @Override
  public Backend create() {
    Support support = support();
    if (!support.supported()) {
      throw new BackendException("create", NAME, support.reason());
    }
    return LinuxBackend.create();
  }

  private static String moduleName() {
    String name = LinuxBackendProvider.class.getModule().getName();
    return name == null ? "ALL-UNNAMED" : name;
  }
}
