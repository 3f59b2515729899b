package dev.wasmpool.spi;

import java.util.Arrays;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Ranges whose pages a pool hands back to the system together, in as few system calls as the
 * backend can ({@link Backend#decommit(DecommitBatch)}).
 *
 * <p>A pool fills a batch through {@link Reservation#reset(long, long, long, DecommitBatch)},
 * which restores everything of a range but the pages it leaves to the batch; those read stale
 * bytes until the batch is decommitted, so the pool keeps their slots from every tenant until
 * then. Each entry names its reservation, so one batch may span several reservations of one
 * backend.
 *
 * <p>Not thread-safe: one owner fills it, then decommits it.
 */
public final class DecommitBatch {

  private @Nullable Reservation[] reservations = new Reservation[8];
  private long[] offsets = new long[8];
  private long[] lengths = new long[8];
  private int size;

  /** An empty batch. */
  public DecommitBatch() {}

  /**
   * Adds a range to decommit.
   *
   * @param reservation the reservation holding the range
   * @param offset the range's start in the reservation, page-aligned
   * @param length its length, page-aligned and positive
   * @throws IllegalArgumentException if the offset is negative or the length not positive
   */
  public void add(Reservation reservation, long offset, long length) {
    Objects.requireNonNull(reservation, "reservation");
    if (offset < 0 || length <= 0) {
      throw new IllegalArgumentException(
          "a decommit range needs offset >= 0 and length > 0 (was offset="
              + offset
              + ", length="
              + length
              + ")");
    }
    if (size == offsets.length) {
      int capacity = size * 2;
      reservations = Arrays.copyOf(reservations, capacity);
      offsets = Arrays.copyOf(offsets, capacity);
      lengths = Arrays.copyOf(lengths, capacity);
    }
    reservations[size] = reservation;
    offsets[size] = offset;
    lengths[size] = length;
    size++;
  }

  /**
   * Moves every range of {@code other} to the end of this batch and empties {@code other}.
   *
   * @param other another batch
   */
  public void takeAll(DecommitBatch other) {
    for (int i = 0; i < other.size; i++) {
      add(other.reservation(i), other.offsets[i], other.lengths[i]);
    }
    other.clear();
  }

  /**
   * The number of ranges.
   *
   * @return the count
   */
  public int size() {
    return size;
  }

  /**
   * Whether the batch holds no range.
   *
   * @return {@code true} if empty
   */
  public boolean isEmpty() {
    return size == 0;
  }

  /**
   * The reservation of a range.
   *
   * @param index the range, {@code 0 .. size()-1}
   * @return its reservation
   */
  public Reservation reservation(int index) {
    Objects.checkIndex(index, size);
    Reservation r = reservations[index];
    if (r == null) {
      throw new IllegalStateException("range " + index + " has no reservation");
    }
    return r;
  }

  /**
   * The start of a range.
   *
   * @param index the range, {@code 0 .. size()-1}
   * @return its offset in its reservation
   */
  public long offset(int index) {
    Objects.checkIndex(index, size);
    return offsets[index];
  }

  /**
   * The length of a range.
   *
   * @param index the range, {@code 0 .. size()-1}
   * @return bytes
   */
  public long length(int index) {
    Objects.checkIndex(index, size);
    return lengths[index];
  }

  /** Forgets every range (and the reservations they name). */
  public void clear() {
    Arrays.fill(reservations, 0, size, null);
    size = 0;
  }
}
