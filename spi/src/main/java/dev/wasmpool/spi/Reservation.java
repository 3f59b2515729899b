package dev.wasmpool.spi;

import java.lang.foreign.MemorySegment;

/**
 * A range of address space owned by the pool.
 *
 * <p>Every range starts inaccessible. Accessible bytes read their <em>baseline</em> (the mapped
 * image's bytes, or zero) until written. Offsets and lengths are relative to the start of the
 * reservation and, unless said otherwise, multiples of {@link Backend#pageSize()}; a range must
 * lie inside the reservation. Violations, and any use after {@link #close()}, raise {@link
 * BackendException}.
 *
 * <p>Thread-safety: methods may be called from any thread, but the caller must not run two
 * operations on overlapping ranges at once.
 */
public interface Reservation extends AutoCloseable {

  /**
   * The size of the reservation.
   *
   * @return its size in bytes
   */
  long byteSize();

  /**
   * The memory of this reservation, from offset 0.
   *
   * <p>With {@link Capabilities#virtualReservation()} the segment covers the whole reservation
   * and is the same for the reservation's life.
   *
   * <p>Without it the segment covers at least every accessible byte (and every byte of a mapped
   * image), and it may be replaced by another after {@link #makeAccessible}, {@link #mapImage} or a
   * <em>whole reset</em>, with the contents carried over; callers re-read it after those calls. A
   * whole reset is a {@link #reset(long, long, long) reset} whose range covers every accessible
   * byte of the reservation. The lifetime of a segment, and of every view made from it:
   *
   * <ul>
   *   <li>A segment replaced by {@link #makeAccessible} or {@link #mapImage} after it was handed
   *       out by this method stays allocated until the next whole reset, {@link
   *       #releaseReplacedSegments()} or {@link #close()}, so a view kept across a growth reaches
   *       allocated memory (reading the bytes as they were, its writes lost), never freed memory.
   *   <li>A whole reset ends every segment handed out before it: the caller promises that no view
   *       taken from this method before the reset is used again, and the backend may free their
   *       memory during the reset. Until this method is called again, no segment is out, so
   *       replacing one frees the old at once. A pool keeps this promise when it resets a slot's
   *       reservation only after the tenant's views are dead.
   * </ul>
   *
   * <p>Touching an inaccessible byte through this segment is undefined (on Linux: a crash of the
   * JVM); the pool bounds every access by the accessible size itself.
   *
   * @return the segment. Its scope may be global (Linux), so the scope cannot be relied on to
   *     detect a closed reservation
   * @throws BackendException if the reservation was closed
   */
  MemorySegment segment();

  /**
   * Frees the segments that {@link #segment()} handed out before the one it returns now, which the
   * backend otherwise keeps until the next whole reset: the caller promises that no view of them is
   * used again (it closed the arenas of its views, so that every stale access fails). The current
   * segment stays handed out, so the next replacement keeps it in turn.
   *
   * <p>This lets a tenant's memory grow while the reservation holds about its current size rather
   * than its growth history. The default does nothing: right for a backend whose segment is never
   * replaced ({@link Capabilities#virtualReservation()}).
   *
   * @throws BackendException if the reservation was closed
   */
  default void releaseReplacedSegments() {}

  /**
   * The bytes of memory this reservation holds from the system now, as far as the backend knows
   * without a system call: for a backend without {@link Capabilities#virtualReservation()}, every
   * byte it allocated and has not freed (the current segment and any replaced one it still keeps).
   *
   * @return bytes ({@code 0} once closed), or {@code -1} if the backend cannot tell (virtual
   *     memory: the system decides which pages are resident)
   */
  default long residentBytes() {
    return -1;
  }

  /**
   * Makes a range readable and writable. Bytes that were inaccessible read what they held when they
   * were made inaccessible: their baseline if they were not written since the reservation was made
   * or the range was last reset.
   *
   * @param offset the start
   * @param length the length; zero does nothing
   * @throws BackendException if the range is invalid or the system refuses
   */
  void makeAccessible(long offset, long length);

  /**
   * Makes a range inaccessible. Its contents are kept unless reset.
   *
   * @param offset the start
   * @param length the length; zero does nothing
   * @throws BackendException if the range is invalid or the system refuses
   */
  void makeInaccessible(long offset, long length);

  /**
   * Brings a range back to its baseline (an image's bytes where one is mapped, zero elsewhere)
   * and hands its pages back to the system where the backend can. Accessibility is unchanged.
   *
   * @param offset the start
   * @param length the length; zero does nothing
   * @throws BackendException if the range is invalid or the system refuses
   */
  default void reset(long offset, long length) {
    reset(offset, length, 0);
  }

  /**
   * Brings a range back to its baseline, restoring the first {@code keepResidentBytes} by writing
   * them (zero-fill, or a copy of the image's bytes) so that they stay resident, and decommitting
   * the rest. The keep-resident prefix must be accessible.
   *
   * <p>If the range covers every accessible byte (a whole reset), every segment handed out by
   * {@link #segment()} before this call ends: see there.
   *
   * @param offset the start
   * @param length the length; zero does nothing
   * @param keepResidentBytes how many leading bytes to restore by writing; a multiple of the page
   *     size, clamped to {@code length}
   * @throws BackendException if the range is invalid or the system refuses
   */
  void reset(long offset, long length, long keepResidentBytes);

  /**
   * Like {@link #reset(long, long, long)}, but the pages it would hand back to the system are
   * added to {@code deferred} instead, for {@link Backend#decommit(DecommitBatch)} to hand back
   * with other ranges in one go. Until then those pages may still read what was written; the
   * caller must not give the range to anyone before the batch is decommitted.
   *
   * <p>The default resets at once and adds nothing: right for backends whose reset writes.
   *
   * @param offset the start
   * @param length the length; zero does nothing
   * @param keepResidentBytes how many leading bytes to restore by writing, as for {@link
   *     #reset(long, long, long)}
   * @param deferred receives the ranges left to decommit
   * @throws BackendException if the range is invalid or the system refuses
   */
  default void reset(long offset, long length, long keepResidentBytes, DecommitBatch deferred) {
    reset(offset, length, keepResidentBytes);
  }

  /**
   * Maps {@code image} at {@code offset} so that the range of the image's size reads the image's
   * bytes and is readable and writable. Writes stay private to this reservation and never reach
   * the image (copy-on-write where {@link Capabilities#copyOnWriteImages()}, a copy otherwise).
   * Any image already mapped in that range must have been removed first. The image's bytes are the
   * range's baseline until {@link #removeImage}; a range coloured with a protection key keeps its
   * key.
   *
   * <p>If the system refuses, the range is left inaccessible with no image mapped (reading zero once
   * made accessible again), unless even that is refused, which is reported as a suppressed
   * exception; the pool then treats the slot as unknown.
   *
   * @param offset the start
   * @param image an open image created by the same backend; it may be closed while mapped
   * @throws BackendException if the range is invalid, overlaps another image, the image is closed
   *     or from another backend, or the system refuses
   */
  void mapImage(long offset, MemoryImage image);

  /**
   * Removes the image mapped at {@code offset}. Its range then reads zero and stays readable and
   * writable; the reservation no longer refers to the image (on Linux the image's file can be
   * released by the kernel once no other reservation maps it).
   *
   * <p>If the system refuses, the range is left as after a refused {@link #mapImage}.
   *
   * @param offset where the image was mapped (its first byte, not any byte inside it)
   * @throws BackendException if no image is mapped there or the system refuses
   */
  void removeImage(long offset);

  /**
   * Colours a range with a protection key, so that it is accessible only while the thread's
   * key rights allow that key. Only on backends with protection keys.
   *
   * @param offset the start
   * @param length the length
   * @param key a key from {@link ProtectionKeys#allocate(int)} of the same backend
   * @throws BackendException if the range is invalid, keys are unsupported or the system refuses
   */
  void colour(long offset, long length, ProtectionKey key);

  /**
   * Revokes a range for good, for views that cannot be closed (a confined arena's, owned by a
   * thread still running): from now on every access to the range through any segment fails in the
   * accessing thread instead of reaching memory, and the range stays reserved, so that no later
   * mapping can take its addresses, until {@link #close()}. Nothing else may be done with the range
   * afterwards. On Linux accesses then fault with {@code SIGBUS}, which the JVM reports as an
   * {@link InternalError} ("a fault occurred in an unsafe memory access operation") in the thread
   * that accessed; the range holds no memory. An access by native code rather than Java is not
   * caught and crashes the JVM.
   *
   * <p>The default does nothing and returns {@code false}: a backend without virtual memory (the
   * portable one) cannot revoke, and its callers must keep the range's memory allocated instead.
   *
   * @param offset the start
   * @param length the length; zero does nothing
   * @return {@code true} if the range is revoked, {@code false} if this backend cannot revoke
   * @throws BackendException if the range is invalid or the system refuses
   */
  default boolean revoke(long offset, long length) {
    return false;
  }

  /**
   * Releases the reservation. Every mapping in it goes; images mapped in it stay valid.
   *
   * @throws BackendException if the reservation was already closed
   */
  @Override
  void close();
}
