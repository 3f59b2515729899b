package dev.wasmpool.spi;

/**
 * The {@link java.util.ServiceLoader} service through which the engine finds memory backends.
 *
 * <p>A provider is cheap to construct and must not touch native memory before {@link #create()}.
 * The engine asks every provider found for {@link #support()} and creates a backend from the
 * supported one with the highest {@link #priority()}, unless the user forces one by {@link
 * #name()} (engine configuration or the {@code wasmpool.backend} system property).
 *
 * <p>Implementations must be thread-safe.
 */
public interface BackendProvider {

  /**
   * The name users select this backend by, for example {@code "linux"} or {@code "portable"}.
   * Lower case, stable across releases.
   *
   * @return the backend's name
   */
  String name();

  /**
   * The rank of this backend among supported ones; the highest wins. The portable backend uses
   * {@code 0}; native backends use larger numbers.
   *
   * @return the priority
   */
  int priority();

  /**
   * Whether this backend can run in this JVM on this machine, with the reason when it cannot.
   *
   * @return the answer, never {@code null}
   */
  Support support();

  /**
   * Creates a backend. Only called when {@link #support()} said supported.
   *
   * @return a new backend owned by the caller, who closes it
   * @throws BackendException if the backend cannot be created
   */
  Backend create();
}
