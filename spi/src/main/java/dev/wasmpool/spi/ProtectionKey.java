package dev.wasmpool.spi;

/**
 * A memory protection key allocated from the operating system.
 *
 * @param value the key number, {@code 1} to {@code 15} on x86-64 (key {@code 0} is the default
 *     key every page starts with and is never handed out)
 */
public record ProtectionKey(int value) {

  /**
   * Checks the key number.
   *
   * @throws IllegalArgumentException if {@code value} is not in {@code 1..15}
   */
  public ProtectionKey {
    if (value < 1 || value > 15) {
      throw new IllegalArgumentException("protection key must be in 1..15 (was " + value + ")");
    }
  }
}
