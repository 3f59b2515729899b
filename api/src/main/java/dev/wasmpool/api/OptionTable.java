package dev.wasmpool.api;

import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The options of one immutable configuration class, listed once so that {@code equals}, {@code
 * hashCode} and {@code toString} cannot forget one.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <C> the configuration class
 */
final class OptionTable<C> {

  /** How an option's value is printed. */
  enum Unit {
    /** Printed as is. */
    NONE,
    /** A byte count, printed with a binary unit when exact ({@code 4GiB}) and {@code B} otherwise. */
    BYTES
  }

  /**
   * One option.
   *
   * @param name the builder method's name
   * @param getter reads the option from a configuration
   * @param unit how the value is printed
   * @param <C> the configuration class
   */
  record Option<C>(String name, Function<C, ?> getter, Unit unit) {}

  private static final String[] BINARY_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private final String typeName;
  private final List<Option<C>> options;

  /**
   * A table of options.
   *
   * @param typeName the configuration class's simple name, used by {@link #toString}
   * @param options every option, in documentation order
   */
  OptionTable(String typeName, List<Option<C>> options) {
    this.typeName = typeName;
    this.options = List.copyOf(options);
  }

  /** Whether every option of {@code a} equals the same option of {@code b}. */
  boolean equal(C a, C b) {
    for (Option<C> option : options) {
      if (!Objects.equals(option.getter().apply(a), option.getter().apply(b))) {
        return false;
      }
    }
    return true;
  }

  /** A hash code consistent with {@link #equal}. */
  int hash(C config) {
    int hash = 1;
    for (Option<C> option : options) {
      hash = 31 * hash + Objects.hashCode(option.getter().apply(config));
    }
    return hash;
  }

  /**
   * {@code TypeName{option=value, ...}} listing only the options whose value differs from {@code
   * defaults}, with units.
   */
  String toString(C config, C defaults) {
    StringJoiner joiner = new StringJoiner(", ", typeName + "{", "}");
    for (Option<C> option : options) {
      Object value = option.getter().apply(config);
      if (!Objects.equals(value, option.getter().apply(defaults))) {
        joiner.add(option.name() + "=" + format(value, option.unit()));
      }
    }
    return joiner.toString();
  }

  private static String format(@Nullable Object value, Unit unit) {
    if (unit == Unit.BYTES && value instanceof Long bytes) {
      return bytes(bytes);
    }
    return String.valueOf(value);
  }

  /**
   * A byte count with the largest binary unit that divides it exactly: {@code 4GiB}, {@code
   * 32MiB}, {@code 761927B}; zero and negative counts in {@code B}.
   *
   * @param bytes the count
   * @return the text
   */
  static String bytes(long bytes) {
    if (bytes <= 0) {
      return bytes + "B";
    }
    long value = bytes;
    int unit = 0;
    while (unit < BINARY_UNITS.length - 1 && (value & 1023) == 0) {
      value >>>= 10;
      unit++;
    }
    return value + BINARY_UNITS[unit];
  }

  /**
   * Returns {@code value} if it is not negative.
   *
   * @throws IllegalArgumentException {@code "<option> must not be negative (was <value>)"}
   */
  static int requireNonNegative(String option, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(option + " must not be negative (was " + value + ")");
    }
    return value;
  }

  /**
   * Returns {@code value} if it is positive.
   *
   * @throws IllegalArgumentException {@code "<option> must be positive (was <value>)"}
   */
  static int requirePositive(String option, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(option + " must be positive (was " + value + ")");
    }
    return value;
  }

  /**
   * Returns the byte count {@code value} if it is not negative.
   *
   * @throws IllegalArgumentException {@code "<option> must not be negative (was <value>B)"}
   */
  static long requireNonNegativeBytes(String option, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          option + " must not be negative (was " + bytes(value) + ")");
    }
    return value;
  }
}
