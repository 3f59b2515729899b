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
 *
 * <p>The automatic choice is made once per JVM ({@link #automatic()}): a provider's answer may
 * change while the JVM runs (the JDK turns native access on for a module after warning about its
 * first restricted call), and engines of one JVM must not differ in their backend because of it.
 */
public final class BackendSelector {

  /** The system property that forces a backend by name. */
  public static final String PROPERTY = "wasmpool.backend";

  private static final System.Logger LOG = System.getLogger("dev.wasmpool.api.Engine");

  private final List<BackendProvider> providers;

  /**
   * The automatic choice and what to tell the user about it.
   *
   * @param provider the chosen provider, supported here
   * @param warnings what the user should fix: a better provider that cannot run for want of a
   *     flag, or native access missing for the engine's own module
   */
  public record Decision(BackendProvider provider, List<String> warnings) {
    /** Copies the warnings. */
    public Decision {
      warnings = List.copyOf(warnings);
    }
  }

  /** Holds the JVM's automatic choice, made when first needed. */
  private static final class Automatic {
    static @Nullable Decision decision;
  }

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
    String name = forcedName(forced);
    if (name != null) {
      return selectByName(name);
    }
    return decide().provider();
  }

  /**
   * The provider engines of this JVM use when none is forced: decided on the first call (over the
   * providers {@link #discover()} finds, its warnings logged once), the same on every later one.
   * A failure (no provider can run) decides nothing and is thrown again on the next call.
   *
   * @return the JVM's choice
   * @throws IllegalStateException naming the providers found if none can run
   */
  public static BackendProvider automatic() {
    synchronized (Automatic.class) {
      Decision decision = Automatic.decision;
      if (decision == null) {
        decision = discover().decide();
        for (String warning : decision.warnings()) {
          LOG.log(System.Logger.Level.WARNING, warning);
        }
        Automatic.decision = decision;
      }
      return decision.provider();
    }
  }

  /**
   * The name forced by the configuration or the {@value #PROPERTY} system property.
   *
   * @param forced the configuration's name, or {@code null}
   * @return the name, trimmed and lower case, or {@code null} for automatic selection
   */
  public static @Nullable String forcedName(@Nullable String forced) {
    String name = forced != null ? forced : System.getProperty(PROPERTY);
    if (name == null || name.isBlank() || name.trim().equals("auto")) {
      return null;
    }
    return name.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * The automatic choice over these providers, asked now: the supported provider with the highest
   * priority, with a warning for each provider of higher priority that only native access keeps
   * from running, and one if the engine's own module lacks native access.
   *
   * @return the decision
   * @throws IllegalStateException naming the providers found if none can run
   */
  public Decision decide() {
    BackendProvider chosen =
        providers.stream()
            .filter(p -> p.support().supported())
            .max(Comparator.comparingInt(BackendProvider::priority))
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "no wasmpool backend can run here; providers found: "
                            + describeProviders()));
    List<String> warnings = new ArrayList<>();
    for (BackendProvider provider : providers) {
      Support support = provider.support();
      if (provider.priority() > chosen.priority() && support.nativeAccessDisabled()) {
        warnings.add(
            "wasmpool backend '"
                + provider.name()
                + "' (priority "
                + provider.priority()
                + ") is present but cannot run: "
                + support.reason()
                + "; every engine of this JVM uses backend '"
                + chosen.name()
                + "' instead. To use '"
                + provider.name()
                + "', start the JVM with "
                + nativeAccessFlag(provider));
      }
    }
    if (warnings.isEmpty() && !BackendSelector.class.getModule().isNativeAccessEnabled()) {
      warnings.add(
          "native access is not enabled for "
              + moduleName(BackendSelector.class.getModule())
              + ", which binds memory views to their instance's lifetime (a restricted method):"
              + " the JDK warns on its first use, and denies it under --illegal-native-access=deny."
              + " Start the JVM with "
              + nativeAccessFlag(chosen));
    }
    return new Decision(chosen, warnings);
  }

  /**
   * The JDK flag that gives native access to the engine's module and the provider's, for example
   * {@code --enable-native-access=dev.wasmpool.api,dev.wasmpool.linux} on the module path or
   * {@code --enable-native-access=ALL-UNNAMED} on the class path.
   *
   * @param provider the provider whose module needs it
   * @return the flag
   */
  static String nativeAccessFlag(BackendProvider provider) {
    String engine = moduleName(BackendSelector.class.getModule());
    String backend = moduleName(provider.getClass().getModule());
    return "--enable-native-access=" + (engine.equals(backend) ? engine : engine + "," + backend);
  }

  private static String moduleName(Module module) {
    String name = module.getName();
    return name == null ? "ALL-UNNAMED" : name;
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
                  + (support.nativeAccessDisabled()
                      ? "; start the JVM with " + nativeAccessFlag(provider)
                      : "")
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
