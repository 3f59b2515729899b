package dev.wasmpool.linux;

import dev.wasmpool.spi.BackendException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Decides once per process whether memory protection keys work here, and how many are free.
 *
 * <p>Keys are used only when both hold:
 *
 * <ol>
 *   <li>{@code /proc/cpuinfo} lists the {@code pku} (CPU has keys) and {@code ospke} (the kernel
 *       enabled them) flags on every processor, on x86-64;
 *   <li>{@code pkey_alloc} then succeeds.
 * </ol>
 *
 * Only after both does anything touch the rights register (PKRU): reading or writing it on a CPU
 * without keys is {@code SIGILL}, which no Java code can catch. The probe counts the free keys by
 * allocating until refused (at most {@value #MAX_KEYS}) and gives them back with {@code pkey_free}.
 */
final class ProtectionKeyProbe {

  /** x86-64 has 16 keys; key 0 is every page's default and never handed out. */
  static final int MAX_KEYS = 15;

  /**
   * The probe's answer.
   *
   * @param keys how many keys could be allocated, {@code 0} when unsupported
   * @param detail why keys are unsupported, or what was found
   */
  record Answer(int keys, String detail) {
    /**
     * Whether keys are usable.
     *
     * @return true if at least one key could be allocated
     */
    boolean supported() {
      return keys > 0;
    }
  }

  private ProtectionKeyProbe() {}

  /** Computes the answer on first use, once per process. */
  private static final class Holder {
    static final Answer ANSWER = probe();
  }

  /**
   * The answer for this process.
   *
   * @return the answer, computed on first call
   */
  static Answer answer() {
    return Holder.ANSWER;
  }

  /**
   * Whether a {@code /proc/cpuinfo} text advertises usable protection keys.
   *
   * @param cpuinfo the file's contents
   * @return true if there is at least one {@code flags} line and every one lists both {@code pku}
   *     and {@code ospke}
   */
  static boolean cpuAdvertisesKeys(String cpuinfo) {
    boolean any = false;
    for (String line : cpuinfo.split("\n", -1)) {
      int colon = line.indexOf(':');
      if (colon < 0 || !line.substring(0, colon).trim().equals("flags")) {
        continue;
      }
      Set<String> flags =
          Arrays.stream(line.substring(colon + 1).trim().split("\\s+")).collect(Collectors.toSet());
      if (!flags.contains("pku") || !flags.contains("ospke")) {
        return false;
      }
      any = true;
    }
    return any;
  }

  private static Answer probe() {
    String arch = System.getProperty("os.arch", "");
    if (!arch.equals("amd64") && !arch.equals("x86_64")) {
      return new Answer(0, "protection keys are used on x86-64 only (this is " + arch + ")");
    }
    String cpuinfo;
    try {
      cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
    } catch (IOException | RuntimeException e) {
      return new Answer(0, "cannot read /proc/cpuinfo to look for protection keys: " + e);
    }
    if (!cpuAdvertisesKeys(cpuinfo)) {
      return new Answer(
          0, "the CPU or kernel lacks protection keys (/proc/cpuinfo flags lack pku and ospke)");
    }
    List<Integer> keys = new ArrayList<>();
    BackendException refusal = null;
    try {
      while (keys.size() < MAX_KEYS) {
        try {
          keys.add(PkeyCalls.alloc());
        } catch (BackendException e) {
          refusal = e;
          break;
        }
      }
      for (int key : keys) {
        PkeyCalls.free(key);
      }
    } catch (LinkageError e) {
      // A C library without pkey_* (older than glibc 2.27, or musl): PkeyCalls cannot bind.
      Throwable cause = e.getCause() == null ? e : e.getCause();
      return new Answer(0, "the C library lacks the pkey functions: " + cause.getMessage());
    }
    if (keys.isEmpty()) {
      return new Answer(
          0,
          "pkey_alloc refused although /proc/cpuinfo lists pku and ospke: "
              + (refusal == null ? "?" : refusal.getMessage()));
    }
    PkeyCalls.enableRightsRegister();
    return new Answer(keys.size(), keys.size() + " protection keys free");
  }
}
