package dev.wasmpool.linux;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Support;
import java.util.Locale;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Provides the Linux backend. Supported on Linux (x86-64 and aarch64) when this module may call
 * native code and the C library has the functions it binds ({@code memfd_create}: glibc 2.27 or
 * musl 1.1.20). The flag that allows it is {@code
 * --enable-native-access=dev.wasmpool.api,dev.wasmpool.linux} on the module path (the engine
 * needs it too) or {@code --enable-native-access=ALL-UNNAMED} on the class path; without it the
 * answer is {@link Support#nativeAccessDisabled}, and the engine's warning names that flag. Native access is checked before any function is looked up, so an unsupported
 * answer never costs the JDK's native access warning.
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
      // The engine adds the flag, with its own module too: it makes restricted calls as well.
      return Support.nativeAccessDisabled("native access is not enabled for " + moduleName());
    }
    String problem = Binding.PROBLEM;
    if (problem != null) {
      return Support.unsupported(problem);
    }
    return Support.supported(
        "Linux " + System.getProperty("os.version", "?") + " on " + arch + ", mmap and memfd");
  }

  @Override
  public Backend create() {
    Support support = support();
    if (!support.supported()) {
      throw new BackendException("create", NAME, support.reason());
    }
    return LinuxBackend.create();
  }

  /**
   * Binds the C library once, and only after native access was found enabled: the first use of
   * {@link LibC} looks up every function the backend calls.
   */
  private static final class Binding {
    /** Why the C library cannot serve the backend, or {@code null} if it can. */
    static final @Nullable String PROBLEM = bind();

    private static @Nullable String bind() {
      try {
        LibC.pageSize();
        return null;
      } catch (ExceptionInInitializerError e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        return "the C library lacks what the linux backend needs: " + cause.getMessage();
      } catch (LinkageError | RuntimeException e) {
        return "the C library lacks what the linux backend needs: " + e;
      }
    }
  }

  private static String moduleName() {
    String name = LinuxBackendProvider.class.getModule().getName();
    return name == null ? "ALL-UNNAMED" : name;
  }
}
