package dev.wasmpool.spi;

/**
 * What a backend can do, so that the pool picks the cheapest correct strategy.
 *
 * @param virtualReservation reserving address space commits no memory, so a reservation may be far
 *     larger than physical memory and its {@link Reservation#segment()} never moves; without it
 *     the pool reserves per slot and memory is committed as it is made accessible
 * @param copyOnWriteImages {@link Reservation#mapImage} shares the image's pages until written;
 *     without it the image's bytes are copied in
 * @param lazyReset {@link Reservation#reset} hands pages back to the system in time independent of
 *     how many bytes were written; without it resets write every byte of the range
 * @param protectionKeys how many memory protection keys {@link Backend#protectionKeys()} can
 *     allocate; {@code 0} when the hardware or kernel lacks them
 */
public record Capabilities(
    boolean virtualReservation,
    boolean copyOnWriteImages,
    boolean lazyReset,
    int protectionKeys) {

  /**
   * Checks the key count.
   *
   * @throws IllegalArgumentException if {@code protectionKeys} is negative
   */
  public Capabilities {
    if (protectionKeys < 0) {
      throw new IllegalArgumentException(
          "protectionKeys must not be negative (was " + protectionKeys + ")");
    }
  }
}
