package dev.wasmpool.api.internal.slots;

import dev.wasmpool.spi.Reservation;

/**
 * What a free slot holds from the system, by one rule for memory and table slots: what its
 * reservation says it holds ({@link Reservation#residentBytes()}) when the slot is the only one in
 * that reservation and the backend knows (the portable backend), otherwise the bytes its last reset
 * restored by writing, which stay resident (the keep-resident prefix; with virtual memory the rest
 * was decommitted).
 *
 * <p>Thread-safe (stateless).
 */
public final class HeldBytes {

  private HeldBytes() {}

  /**
   * The bytes a slot holds now.
   *
   * @param reservation the slot's reservation
   * @param soleSlot whether the slot is the only slot of {@code reservation} (guards hold nothing)
   * @param writtenBytes the bytes the slot's last reset restored by writing
   * @return bytes, not negative
   */
  public static long of(Reservation reservation, boolean soleSlot, long writtenBytes) {
    long held = soleSlot ? reservation.residentBytes() : -1;
    return held >= 0 ? held : writtenBytes;
  }
}
