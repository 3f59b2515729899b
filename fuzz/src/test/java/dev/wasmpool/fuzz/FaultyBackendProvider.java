package dev.wasmpool.fuzz;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Support;
import java.util.ServiceLoader;

/**
 * The {@code faulty} backend: a real backend (named by {@link #delegate}) wrapped in {@link
 * FaultyBackend}, which fails operations as {@link #FAULTS} says. Registered through {@code
 * META-INF/services} in the fuzz module's test class path; its priority is below every real
 * backend's, so it is used only when named.
 */
public final class FaultyBackendProvider implements BackendProvider {

  /** The name this backend is selected by. */
  static final String NAME = "faulty";

  /** The faults every faulty backend injects. */
  static final Faults FAULTS = new Faults();

  /** The name of the backend to wrap. */
  static volatile String delegate = "portable";

  /** The backend created last, for its books. */
  static volatile FaultyBackend last;

  /** For {@link ServiceLoader}. */
  public FaultyBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return -1000;
  }

  @Override
  public Support support() {
    BackendProvider d = find();
    return d != null && d.support().supported()
        ? Support.supported("injecting faults into " + d.name())
        : Support.unsupported("no supported backend named " + delegate);
  }

  @Override
  public Backend create() {
    BackendProvider d = find();
    if (d == null) {
      throw new BackendException("create", NAME, "no backend named " + delegate);
    }
    FaultyBackend backend = new FaultyBackend(d.create(), FAULTS);
    last = backend;
    return backend;
  }

  private static BackendProvider find() {
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class, FaultyBackendProvider.class.getClassLoader())) {
      if (p.name().equals(delegate)) {
        return p;
      }
    }
    return null;
  }
}
