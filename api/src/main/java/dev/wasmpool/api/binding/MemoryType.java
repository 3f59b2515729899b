package dev.wasmpool.api.binding;

import java.util.OptionalLong;

/**
 * A linear memory as a module declares it, in WebAssembly pages of {@value #PAGE_SIZE} bytes.
 *
 * @param minimumPages the initial size
 * @param maximumPages the declared maximum, empty when unbounded
 * @param shared whether the memory is shared between threads (rejected by the pool)
 */
public record MemoryType(long minimumPages, OptionalLong maximumPages, boolean shared) {

  /** The WebAssembly page size in bytes. */
  public static final long PAGE_SIZE = 65536;

  /**
   * Checks the limits.
   *
   * @throws IllegalArgumentException if a limit is negative or the maximum is below the minimum
   */
  public MemoryType {
    Limits.check("minimumPages", minimumPages, "maximumPages", maximumPages);
  }
}
