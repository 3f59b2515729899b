package dev.wasmpool.samples;

import dev.wasmpool.spi.BackendProvider;
import java.util.ServiceLoader;

/** The main sample (a minimal one until the samples issue lands): lists the backends found. */
public final class Main {
  private Main() {}

  /**
   * Prints each backend provider found on the class path and whether it can run here.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    System.out.println("wasmpool on Java " + Runtime.version());
    for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
      System.out.println(
          "backend " + provider.name() + " (priority " + provider.priority() + "): "
              + provider.support());
    }
  }
}
