package dev.wasmpool.api;

import java.util.OptionalLong;

/**
 * A table as a module declares it.
 *
 * @param minimumElements the initial number of elements
 * @param maximumElements the declared maximum, empty when unbounded
 */
public record TableType(long minimumElements, OptionalLong maximumElements) {

  /**
   * Checks the limits.
   *
   * @throws IllegalArgumentException if a limit is negative or the maximum is below the minimum
   */
  public TableType {
    if (minimumElements < 0) {
      throw new IllegalArgumentException(
          "minimumElements must not be negative (was " + minimumElements + ")");
    }
    if (maximumElements.isPresent() && maximumElements.getAsLong() < minimumElements) {
      throw new IllegalArgumentException(
          "maximumElements must not be below minimumElements (was "
              + maximumElements.getAsLong()
              + " < "
              + minimumElements
              + ")");
    }
  }
}
