package dev.wasmpool.api.binding;

import java.util.OptionalLong;

/** The check shared by the limits of {@link MemoryType} and {@link TableType}. */
final class Limits {

  private Limits() {}

  /**
   * Checks a minimum and an optional maximum.
   *
   * @param minimumName the minimum's component name, for the error
   * @param minimum the minimum
   * @param maximumName the maximum's component name, for the error
   * @param maximum the maximum, if any
   * @throws IllegalArgumentException if the minimum is negative or the maximum is below it
   */
  static void check(String minimumName, long minimum, String maximumName, OptionalLong maximum) {
    if (minimum < 0) {
      throw new IllegalArgumentException(minimumName + " must not be negative (was " + minimum + ")");
    }
    if (maximum.isPresent() && maximum.getAsLong() < minimum) {
      throw new IllegalArgumentException(
          maximumName
              + " must not be below "
              + minimumName
              + " (was "
              + maximum.getAsLong()
              + " < "
              + minimum
              + ")");
    }
  }
}
