package dev.wasmpool.api;

import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Value semantics for an immutable configuration class, derived from its {@link OptionTable}: two
 * configurations are equal when every option is, and {@code toString} lists the options that
 * differ from the defaults.
 *
 * @param <C> the configuration class itself
 */
abstract class ConfigValue<C extends ConfigValue<C>> {

  /** The configuration class's options. */
  abstract OptionTable<C> options();

  /** The configuration with every option at its default. */
  abstract C defaultValue();

  /**
   * Whether {@code other} is a configuration of the same class with the same value for every
   * option.
   *
   * @param other the object to compare with
   * @return {@code true} if every option is equal
   */
  @Override
  public final boolean equals(@Nullable Object other) {
    if (other == this) {
      return true;
    }
    if (other == null || other.getClass() != getClass()) {
      return false;
    }
    @SuppressWarnings("unchecked")
    C that = (C) other;
    return options().equal(self(), that);
  }

  /**
   * A hash code over every option, consistent with {@link #equals(Object)}.
   *
   * @return the hash code
   */
  @Override
  public final int hashCode() {
    return options().hash(self());
  }

  /**
   * The options that differ from the defaults, with units, for example {@code
   * PoolingAllocationConfig{totalMemories=10, maxMemorySize=64KiB}}; the defaults print as {@code
   * PoolingAllocationConfig{}}.
   *
   * @return the description
   */
  @Override
  public final String toString() {
    return options().toString(self(), defaultValue());
  }

  @SuppressWarnings("unchecked")
  private C self() {
    return (C) this;
  }
}
