package dev.wasmpool.samples.counting;

/** The backend operations the counting backend counts and times, one per SPI method that works. */
public enum Operation {
  /** {@code Backend.reserve}. */
  RESERVE,
  /** {@code Backend.createImage}. */
  CREATE_IMAGE,
  /** {@code Reservation.makeAccessible}. */
  MAKE_ACCESSIBLE,
  /** {@code Reservation.makeInaccessible}. */
  MAKE_INACCESSIBLE,
  /** {@code Reservation.reset}. */
  RESET,
  /** {@code Reservation.mapImage}. */
  MAP_IMAGE,
  /** {@code Reservation.removeImage}. */
  REMOVE_IMAGE,
  /** {@code Reservation.colour}. */
  COLOUR,
  /** {@code Reservation.close}. */
  RELEASE,
  /** {@code MemoryImage.close}. */
  CLOSE_IMAGE
}
