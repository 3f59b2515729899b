package dev.wasmpool.api.binding;

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
    Limits.check("minimumElements", minimumElements, "maximumElements", maximumElements);
  }
}
