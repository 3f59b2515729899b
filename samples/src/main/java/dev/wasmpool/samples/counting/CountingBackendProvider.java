package dev.wasmpool.samples.counting;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Support;
import java.util.Comparator;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A custom backend plugin: the {@code "counting"} backend, which wraps the best other backend found
 * and counts and times every operation (see {@link OperationStats}).
 *
 * <p>It is registered like any backend, in {@code
 * META-INF/services/dev.wasmpool.spi.BackendProvider} (on the module path a module would say
 * {@code provides dev.wasmpool.spi.BackendProvider with ...}), and since its priority is below
 * every real backend's the engine never picks it on its own. Select it by name:
 *
 * <pre>{@code
 * Engine.create(EngineConfig.builder().backend("counting").build());
 * // or, for an engine configured with backend "auto":  java -Dwasmpool.backend=counting ...
 * }</pre>
 *
 * <p>The wrapped backend is the supported provider with the highest priority other than this one,
 * or the one named by the system property {@value #DELEGATE_PROPERTY}.
 *
 * <p>Thread-safe and stateless, as {@link BackendProvider} requires.
 */
public final class CountingBackendProvider implements BackendProvider {

  /** The name this backend is selected by. */
  public static final String NAME = "counting";

  /** The system property that names the wrapped backend, for example {@code portable}. */
  public static final String DELEGATE_PROPERTY = "wasmpool.counting.delegate";

  /** The provider to wrap, or {@code null} to find one each time; see {@link #delegateProvider}. */
  private final @Nullable BackendProvider fixedDelegate;

  /** Public, with no arguments, for {@link ServiceLoader}: wraps the best other backend found. */
  public CountingBackendProvider() {
    this.fixedDelegate = null;
  }

  /**
   * A provider that always wraps {@code delegate}, for composing backends by hand (and for tests).
   *
   * @param delegate the provider whose backends are counted
   */
  public CountingBackendProvider(BackendProvider delegate) {
    this.fixedDelegate = Objects.requireNonNull(delegate, "delegate");
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Below the portable backend's 0: chosen only by name. */
  @Override
  public int priority() {
    return -100;
  }

  @Override
  public Support support() {
    return delegateProvider()
        .map(p -> Support.supported("counting calls to " + p.name()))
        .orElseGet(() -> Support.unsupported("no backend to wrap: " + describeOthers()));
  }

  @Override
  public Backend create() {
    BackendProvider delegate =
        delegateProvider()
            .orElseThrow(() -> new BackendException("create", NAME, "no backend to wrap: " + describeOthers()));
    return new CountingBackend(delegate.create());
  }

  /**
   * The provider to wrap: the fixed one if given; else the one the property names, if supported;
   * else the supported provider with the highest priority other than this one.
   */
  private Optional<BackendProvider> delegateProvider() {
    BackendProvider fixed = fixedDelegate;
    if (fixed != null) {
      return fixed.support().supported() ? Optional.of(fixed) : Optional.empty();
    }
    String wanted = System.getProperty(DELEGATE_PROPERTY);
    return others()
        .filter(p -> wanted == null || p.name().equals(wanted))
        .filter(p -> p.support().supported())
        .max(Comparator.comparingInt(BackendProvider::priority));
  }

  private static java.util.stream.Stream<BackendProvider> others() {
    return ServiceLoader.load(BackendProvider.class, CountingBackendProvider.class.getClassLoader()).stream()
        .map(ServiceLoader.Provider::get)
        .filter(p -> !p.name().equals(NAME));
  }

  private String describeOthers() {
    BackendProvider fixed = fixedDelegate;
    if (fixed != null) {
      return fixed.name() + " (" + fixed.support().reason() + ")";
    }
    String wanted = System.getProperty(DELEGATE_PROPERTY);
    String found =
        others()
            .map(p -> p.name() + (p.support().supported() ? "" : " (" + p.support().reason() + ")"))
            .collect(Collectors.joining(", "));
    return (wanted == null ? "" : DELEGATE_PROPERTY + "=" + wanted + "; ")
        + "found " + (found.isEmpty() ? "nothing" : found);
  }
}
