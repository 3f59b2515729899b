package dev.wasmpool.spi;

import java.lang.foreign.MemorySegment;

/**
 * One engine's access to memory: reservations, images and protection keys.
 *
 * <p>A backend is created by {@link BackendProvider#create()} and owned by one engine, which
 * closes it last, after every reservation and image it made. All methods are thread-safe; the
 * pool serialises operations on the same range itself.
 */
public interface Backend extends AutoCloseable {

  /**
   * The provider name this backend was created from.
   *
   * @return the name, for example {@code "linux"}
   */
  String name();

  /**
   * The granule of every offset and length this backend accepts, in bytes; a power of two.
   *
   * @return the host page size
   */
  long pageSize();

  /**
   * What this backend can do.
   *
   * @return the capabilities, constant for the backend's life
   */
  Capabilities capabilities();

  /**
   * Reserves {@code byteSize} bytes of address space. The whole range starts inaccessible and
   * reads zero once made accessible.
   *
   * @param byteSize the size, a positive multiple of {@link #pageSize()}
   * @return the reservation, owned by the caller, who closes it
   * @throws BackendException if the size is invalid, the backend is closed or the system refuses
   *     the reservation
   */
  Reservation reserve(long byteSize);

  /**
   * Creates an immutable memory image holding a copy of {@code contents}, padded with zeros to a
   * multiple of {@link #pageSize()}.
   *
   * @param contents the bytes, of any length greater than zero; not retained
   * @return the image, owned by the caller, who closes it
   * @throws BackendException if {@code contents} is empty, the backend is closed or the system
   *     refuses to create it
   */
  MemoryImage createImage(MemorySegment contents);

  /**
   * The protection keys of this process, or {@link ProtectionKeys#NONE} when {@link
   * Capabilities#protectionKeys()} is zero.
   *
   * @return the keys facility, never {@code null}
   */
  ProtectionKeys protectionKeys();

  /**
   * Hands back to the system every range of a batch filled by {@link Reservation#reset(long,
   * long, long, DecommitBatch)} of this backend's reservations: afterwards each range reads its
   * baseline. A backend with a batched system call issues as few calls as it can.
   *
   * <p>The default resets each range by {@link Reservation#reset(long, long)}.
   *
   * @param batch the ranges; their reservations must be open
   * @throws BackendException if the system refuses; which ranges were decommitted is then unknown
   */
  default void decommit(DecommitBatch batch) {
    for (int i = 0; i < batch.size(); i++) {
      batch.reservation(i).reset(batch.offset(i), batch.length(i));
    }
  }

  /**
   * How {@link #decommit(DecommitBatch)} hands pages back on this system, for the engine's start-up
   * log: for example {@code "process_madvise(2), one call per batch"}.
   *
   * @return a short description
   */
  default String decommitMethod() {
    return "one reset per range";
  }

  /**
   * Releases what the backend itself holds. Reservations and images must be closed first; a second
   * call does nothing. Once closed, {@link #reserve} and {@link #createImage} fail.
   *
   * @throws BackendException if a reservation or image made by this backend is still open; the
   *     backend then stays open
   */
  @Override
  void close();
}
