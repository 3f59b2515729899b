package dev.wasmpool.api.internal.backend;

import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Support;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Chooses the memory backend: the supported provider with the highest priority, or the one forced
 * by name (engine configuration first, then the {@value #PROPERTY} system property).
 */
public final class BackendSelector {

  /** The system property that forces a backend by name. */
  public static final String PROPERTY = "wasmpool.backend";

  private final List<BackendProvider> providers;

  /**
   * A selector over the given providers.
   *
   * @param providers the candidates, in discovery order
   */
  public BackendSelector(List<BackendProvider> providers) {
    this.providers = List.copyOf(providers);
  }

  /**
   * A selector over every provider {@link ServiceLoader} finds from this module (module path and
   * class path).
   *
   * @return the selector
   */
  public static BackendSelector discover() {
    List<BackendProvider> found = new ArrayList<>();
    ServiceLoader.load(BackendProvider.class, BackendSelector.class.getClassLoader())
        .forEach(found::add);
    return new BackendSelector(found);
  }

  /**
   * The providers found.
   *
   * @return the candidates, in discovery order
   */
  public List<BackendProvider> providers() {
    return providers;
  }

  /**
   * Selects a provider.
   *
   * @param forced the name the engine configuration asks for, or {@code null} for automatic
   *     selection (which the {@value #PROPERTY} system property may still force)
   * @return the chosen provider, which is supported here
   * @throws IllegalStateException naming the reason and the providers found if no provider fits
   */
  public BackendProvider select(@Nullable String forced) {
    String name = forced != null ? forced : System.getProperty(PROPERTY);
    if (name != null && !name.isBlank() && !name.equals("auto")) {
      return selectByName(name.trim().toLowerCase(Locale.ROOT));
    }
    return providers.stream()
        .filter(p -> p.support().supported())
        .max(Comparator.comparingInt(BackendProvider::priority))
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "no wasmpool backend can run here; providers found: " + describeProviders()));
  }

  private BackendProvider selectByName(String name) {
    for (BackendProvider provider : providers) {
      if (provider.name().equals(name)) {
        Support support = provider.support();
        if (!support.supported()) {
          throw new IllegalStateException(
              "backend '"
                  + name
                  + "' cannot run here: "
                  + support.reason()
                  + "; providers found: "
                  + describeProviders());
        }
        return provider;
      }
    }
    throw new IllegalStateException(
        "backend '" + name + "' was not found; providers found: " + describeProviders());
  }

  private String describeProviders() {
    if (providers.isEmpty()) {
      return "none (put wasmpool-impl-linux or wasmpool-impl-portable on the module or class path)";
    }
    StringBuilder sb = new StringBuilder();
    for (BackendProvider provider : providers) {
      Support support = provider.support();
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(provider.name())
          .append(" (priority ")
          .append(provider.priority())
          .append(support.supported() ? ", supported" : ", unsupported: " + support.reason())
          .append(')');
    }
    return sb.toString();
  }
}
