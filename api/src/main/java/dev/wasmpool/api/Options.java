package dev.wasmpool.api;

import dev.wasmpool.spi.support.ByteCount;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Objects;
import java.util.StringJoiner;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The checks and the text shared by the configuration records: each check names the option and
 * the rejected value, and {@link #describe} lists the options that differ from the defaults.
 *
 * <p>By convention every {@code long} option of a configuration record is a byte size, printed
 * with a binary unit ({@code 4GiB}); every other option prints as itself.
 */
final class Options {

  private static final String[] BINARY_UNITS = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private Options() {}

  static void requireNonNegative(String option, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(option + " must not be negative (was " + value + ")");
    }
  }

  static void requirePositive(String option, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(option + " must be positive (was " + value + ")");
    }
  }

  static void requireNonNegativeBytes(String option, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(
          option + " must not be negative (was " + ByteCount.of(value) + ")");
    }
  }

  /**
   * {@code Type{option=value, ...}} for the components of {@code config} that differ from {@code
   * defaults}, in declaration order.
   */
  static <R extends Record> String describe(R config, R defaults) {
    Class<?> type = config.getClass();
    StringJoiner joiner = new StringJoiner(", ", type.getSimpleName() + "{", "}");
    for (RecordComponent component : type.getRecordComponents()) {
      Object value = value(component, config);
      if (!Objects.equals(value, value(component, defaults))) {
        joiner.add(component.getName() + "=" + format(value));
      }
    }
    return joiner.toString();
  }

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

  private static String format(@Nullable Object value) {
    if (value instanceof Duration duration) {
      return millis(duration);
    }
    return value instanceof Long bytes ? bytes(bytes) : String.valueOf(value);
  }

  /**
   * A duration in milliseconds, the unit of every timeout option ({@code 250ms}).
   *
   * @param duration the duration
   * @return its text
   */
  static String millis(Duration duration) {
    long millis = duration.toMillis();
    return duration.equals(Duration.ofMillis(millis))
        ? millis + "ms"
        : String.format(java.util.Locale.ROOT, "%.3fms", duration.toNanos() / 1e6);
  }

  static void requireNonNegative(String option, Duration value) {
    Objects.requireNonNull(value, option);
    if (value.isNegative()) {
      throw new IllegalArgumentException(option + " must not be negative (was " + millis(value) + ")");
    }
  }

  private static @Nullable Object value(RecordComponent component, Record config) {
    try {
      return component.getAccessor().invoke(config);
    } catch (IllegalAccessException | InvocationTargetException e) {
      // Accessors of this package's public records are public and cannot throw.
      throw new AssertionError(component.getName(), e);
    }
  }
}
