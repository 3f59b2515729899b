package dev.wasmpool.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The names of the wasmpool backends a test runs on, on this operating system. */
public final class Backends {

  private Backends() {}

  /**
   * The backends to run on: {@code "linux"} on Linux, {@code "portable"} everywhere.
   *
   * @return the names, the native one first
   */
  public static List<String> onThisOs() {
    List<String> names = new ArrayList<>();
    if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
      names.add("linux");
    }
    names.add("portable");
    return names;
  }
}
