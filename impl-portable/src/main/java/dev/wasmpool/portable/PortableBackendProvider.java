package dev.wasmpool.portable;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Support;

/** Provides the portable backend, which runs wherever Java runs. */
public final class PortableBackendProvider implements BackendProvider {

  /** The name users select this backend by. */
  public static final String NAME = "portable";

  /** Creates the provider. */
  public PortableBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public int priority() {
    return 0;
  }

  @Override
  public Support support() {
    return Support.supported("plain Java memory segments, any operating system");
  }

  @Override
  public Backend create() {
    return new PortableBackend();
  }
}
