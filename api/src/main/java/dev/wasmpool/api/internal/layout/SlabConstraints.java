package dev.wasmpool.api.internal.layout;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;

/**
 * What the memory pool's layout must satisfy, in bytes as configured (not yet page-rounded).
 * Immutable.
 *
 * @param expectedSlotBytes the address space each memory should reserve ({@code
 *     memoryReservation})
 * @param maxMemoryBytes the largest size a memory may reach ({@code maxMemorySize})
 * @param numSlots the number of memory slots ({@code totalMemories})
 * @param guardBytes the guard region after each memory ({@code memoryGuardSize})
 * @param guardBeforeSlots whether a guard also precedes the first slot ({@code
 *     guardBeforeLinearMemory})
 * @param numPkeysAvailable how many protection keys may colour stripes; below 2 means no striping
 * @param pageSize the host page size, a power of two
 */
public record SlabConstraints(
    long expectedSlotBytes,
    long maxMemoryBytes,
    int numSlots,
    long guardBytes,
    boolean guardBeforeSlots,
    int numPkeysAvailable,
    long pageSize) {

  /**
   * Checks the values.
   *
   * @throws IllegalArgumentException if a size or count is negative or {@code pageSize} is not a
   *     positive power of two
   */
  public SlabConstraints {
    requireNonNegative("expectedSlotBytes", expectedSlotBytes);
    requireNonNegative("maxMemoryBytes", maxMemoryBytes);
    requireNonNegative("numSlots", numSlots);
    requireNonNegative("guardBytes", guardBytes);
    requireNonNegative("numPkeysAvailable", numPkeysAvailable);
    if (pageSize <= 0 || Long.bitCount(pageSize) != 1) {
      throw new IllegalArgumentException(
          "pageSize must be a positive power of two (was " + pageSize + ")");
    }
  }

  /**
   * The constraints of an engine's memory pool.
   *
   * @param config an engine configuration with the pooling strategy
   * @param numPkeysAvailable the protection keys the engine obtained (0 when disabled or
   *     unsupported)
   * @param pageSize the host page size
   * @return the constraints
   * @throws IllegalArgumentException if {@code config} does not use the pooling strategy
   */
  public static SlabConstraints of(EngineConfig config, int numPkeysAvailable, long pageSize) {
    if (!(config.allocationStrategy() instanceof AllocationStrategy.Pooling(PoolingAllocationConfig pool))) {
      throw new IllegalArgumentException(
          "allocationStrategy must be pooling for a memory pool (was "
              + config.allocationStrategy()
              + ")");
    }
    return new SlabConstraints(
        config.memoryReservation(),
        pool.maxMemorySize(),
        pool.totalMemories(),
        config.memoryGuardSize(),
        config.guardBeforeLinearMemory(),
        numPkeysAvailable,
        pageSize);
  }

  private static void requireNonNegative(String name, long value) {
    if (value < 0) {
      throw new IllegalArgumentException(name + " must not be negative (was " + value + ")");
    }
  }
}
