package dev.wasmpool.api.internal.memory;

import dev.wasmpool.api.internal.slots.HeldBytes;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.Reservation;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The state of one linear-memory slot: which image it maps, how many bytes are accessible, and
 * whether its contents are known.
 *
 * <pre>
 *   base                                          base + accessible
 *   |-- image.offset --|==== image ====|           |
 *   [  zero / written  |  image bytes  | zero ...  ][ inaccessible ... slot end ]
 * </pre>
 *
 * <p>States ({@link #state()}): {@link State#UNMAPPED} until first used; {@link
 * State#PREVIOUSLY_USED} with an image (or none) and an accessible size; {@link State#UNKNOWN}
 * after a backend call failed, when nothing is known of the contents and the slot is erased
 * (image removed, every byte ever made accessible reset and made inaccessible) before its next
 * tenant.
 *
 * <p>Reuse ({@link #instantiate}), as in Wasmtime's memory image slots: images are equal only when
 * they are the same object (or both absent); a different image is removed first; the accessible
 * size grows by {@code makeAccessible}, and shrinks by {@code makeInaccessible} only when {@code
 * shrinkOnReuse} (a guard region to keep, #13008); the new image is mapped only if it changed. A
 * slot that already holds the module's image at the right size costs no backend call.
 *
 * <p>With a protection key, every mapping change is followed by colouring the range again:
 * mapping over a coloured range resets its key to 0 (Wasmtime #14076).
 *
 * <p>What a free slot holds ({@link #residentBytes()}) follows {@link HeldBytes}: its reservation's
 * count when the slot is alone in it and the backend knows, else the keep-resident prefix its last
 * reset wrote. The calls are the same whatever the backend; only the backend's answers differ.
 *
 * <p>Concurrency: not thread-safe. A slot is touched only by whoever owns its index (a live
 * allocation, the decommit queue, a purge); the index allocator's lock orders one owner's writes
 * before the next owner's reads.
 */
public final class ImageSlot {

  /** What is known of a slot's contents. */
  public enum State {
    /** Never used: inaccessible and zero. */
    UNMAPPED,
    /** Used before: {@link #image()} mapped, {@link #accessibleBytes()} accessible, reset. */
    PREVIOUSLY_USED,
    /** A backend call failed; erased before reuse. */
    UNKNOWN
  }

  private static final System.Logger LOG = System.getLogger(ImageSlot.class.getName());

  /** Offset of the slot in its reservation. */
  private final long base;

  /** Bytes of the slot that may ever be made accessible (for colouring). */
  private final long slotBytes;

  /** Whether a larger accessible size left by a previous tenant is taken back (guard > 0). */
  private final boolean shrinkOnReuse;

  /** Whether the slot is the only one in its reservation, whose resident count is then its own. */
  private final boolean soleSlot;

  /** The slot's colour, or {@code null} without striping. */
  private final @Nullable ProtectionKey key;

  private @Nullable Reservation reservation;

  /** The image mapped now; this slot is one of its holders. */
  private @Nullable ModuleImage image;

  /** An image whose mapping failed: it may be mapped in part; held until the slot is erased. */
  private @Nullable ModuleImage attempted;

  /** Bytes from {@code base} that are readable and writable. */
  private long accessible;

  /** The most bytes made accessible since the slot was last erased: what an erase must reset. */
  private long highWater;

  /** Bytes the last reset restored by writing (the keep-resident prefix), which stay resident. */
  private long writtenBytes;

  /** Handed to a tenant and not reset since. */
  private boolean dirty;

  private boolean unknown;

  private boolean used;

  /**
   * A slot.
   *
   * @param reservation the reservation holding the slot, or {@code null} to attach one later
   * @param base the slot's offset in the reservation
   * @param slotBytes the slot's size
   * @param shrinkOnReuse whether to make bytes beyond a new tenant's initial size inaccessible
   * @param soleSlot whether the slot is the only one in its reservation
   * @param key the slot's colour, or {@code null}
   */
  public ImageSlot(
      @Nullable Reservation reservation,
      long base,
      long slotBytes,
      boolean shrinkOnReuse,
      boolean soleSlot,
      @Nullable ProtectionKey key) {
    this.reservation = reservation;
    this.base = base;
    this.slotBytes = slotBytes;
    this.shrinkOnReuse = shrinkOnReuse;
    this.soleSlot = soleSlot;
    this.key = key;
  }

  /**
   * Whether the slot has its reservation.
   *
   * @return {@code false} for a lazily reserved slot not used yet
   */
  public boolean hasReservation() {
    return reservation != null;
  }

  /**
   * Gives a lazily reserved slot its reservation.
   *
   * @param reservation the slot's own reservation, at least {@code slotBytes} long
   */
  public void attach(Reservation reservation) {
    assert this.reservation == null;
    this.reservation = reservation;
  }

  /**
   * The reservation holding the slot.
   *
   * @return the reservation
   * @throws IllegalStateException if none was attached
   */
  public Reservation reservation() {
    Reservation r = reservation;
    if (r == null) {
      throw new IllegalStateException("slot has no reservation yet");
    }
    return r;
  }

  /**
   * Whether the slot is the only one in its reservation, so that what the reservation holds and
   * hands out is the slot's alone.
   *
   * @return {@code true} for a reservation of its own
   */
  public boolean soleSlot() {
    return soleSlot;
  }

  /**
   * The slot's offset in its reservation.
   *
   * @return the offset in bytes
   */
  public long base() {
    return base;
  }
  /**
   * The slot's size: every byte a view of it may cover, and its guard.
   *
   * @return bytes from {@link #base()}
   */
  public long slotBytes() {
    return slotBytes;
  }


  /**
   * Brings the slot to a new tenant's state: {@code wanted} mapped, {@code initialBytes}
   * accessible. An unknown slot is erased first.
   *
   * @param initialBytes the memory's initial size in bytes, a multiple of the page size
   * @param wanted the module's image, or {@code null} for none
   * @throws BackendException if a backend call fails; the slot is then unknown
   * @throws IllegalStateException if {@code wanted} was closed (its module is gone); the slot is
   *     consistent but holds no image
   */
  public void instantiate(long initialBytes, @Nullable ModuleImage wanted) {
    assert !dirty : "slot instantiated twice without a reset";
    Reservation r = reservation();
    if (unknown) {
      erase();
    }
    used = true;
    try {
      ModuleImage current = image;
      if (current != wanted && current != null) {
        unmapImage(r, current);
      }
      if (accessible < initialBytes) {
        r.makeAccessible(base + accessible, initialBytes - accessible);
        accessible = initialBytes;
        highWater = Math.max(highWater, accessible);
      } else if (initialBytes < accessible && shrinkOnReuse) {
        r.makeInaccessible(base + initialBytes, accessible - initialBytes);
        accessible = initialBytes;
      }
      if (image != wanted && wanted != null) {
        if (!wanted.tryRetain()) {
          throw new IllegalStateException("module was closed");
        }
        attempted = wanted;
        r.mapImage(base + wanted.offset(), wanted.image());
        attempted = null;
        image = wanted;
        colour(r, wanted.offset(), wanted.byteSize());
      }
      dirty = true;
    } catch (BackendException e) {
      unknown = true;
      throw e;
    }
  }

  /**
   * Makes more of the slot accessible (memory growth). New bytes read zero.
   *
   * @param newBytes the memory's new size in bytes, a multiple of the page size
   * @throws BackendException if the backend refuses; the slot is then unknown
   */
  public void grow(long newBytes) {
    assert dirty : "growing a slot that has no tenant";
    if (newBytes <= accessible) {
      return;
    }
    try {
      reservation().makeAccessible(base + accessible, newBytes - accessible);
    } catch (BackendException e) {
      unknown = true;
      throw e;
    }
    accessible = newBytes;
    highWater = Math.max(highWater, accessible);
  }

  /**
   * Resets a tenant's writes: the first {@code keepResidentBytes} by writing, the rest by
   * decommit. Never throws: on failure the slot becomes unknown (and is erased before reuse).
   *
   * @param keepResidentBytes the keep-resident prefix, page-rounded
   * @return {@code true} if the reset succeeded
   */
  public boolean resetForReuse(long keepResidentBytes) {
    return resetForReuse(keepResidentBytes, null);
  }

  /**
   * Like {@link #resetForReuse(long)}, but leaves the decommit of the bytes beyond the prefix to
   * {@code deferred}; the slot must not reach a tenant before that batch is decommitted.
   *
   * @param keepResidentBytes the keep-resident prefix, page-rounded
   * @param deferred receives the ranges left to decommit, or {@code null} to decommit now
   * @return {@code true} if the reset succeeded
   */
  public boolean resetForReuse(long keepResidentBytes, @Nullable DecommitBatch deferred) {
    dirty = false;
    writtenBytes = 0;
    if (unknown) {
      return false;
    }
    long keep = Math.min(keepResidentBytes, accessible);
    try {
      if (deferred == null) {
        reservation().reset(base, accessible, keep);
      } else {
        reservation().reset(base, accessible, keep, deferred);
      }
      writtenBytes = keep;
      return true;
    } catch (BackendException e) {
      unknown = true;
      LOG.log(System.Logger.Level.WARNING, "memory slot reset failed; the slot will be erased before reuse", e);
      return false;
    }
  }

  /**
   * Marks the slot unknown after a decommit of its ranges failed: it is erased before reuse and
   * keeps nothing resident.
   */
  public void markUnknown() {
    unknown = true;
    writtenBytes = 0;
  }

  /**
   * Removes the slot's image (its module was closed), or erases an unknown slot. Never throws: on
   * failure the slot stays or becomes unknown.
   *
   * @return {@code true} if the slot no longer maps any image
   */
  public boolean purgeImage() {
    try {
      if (unknown) {
        erase();
        return true;
      }
      ModuleImage current = image;
      if (current != null) {
        unmapImage(reservation(), current);
        // The image range now holds fresh zero pages: nothing of it stays resident.
        long overlap = Math.min(writtenBytes, current.offset() + current.byteSize()) - current.offset();
        if (overlap > 0) {
          writtenBytes -= overlap;
        }
      }
      return true;
    } catch (BackendException e) {
      unknown = true;
      LOG.log(System.Logger.Level.WARNING, "removing a memory image failed; the slot will be erased before reuse", e);
      return false;
    }
  }

  /**
   * Hands back everything a free slot holds (an idle trim, or a range becoming a spare): its image
   * is removed, and every accessible byte is made inaccessible and reset, so that the slot holds
   * nothing (a backend without virtual memory frees its storage; see {@link Reservation#reset}).
   * Its next tenant starts as on a cold slot. Never throws: on failure the slot becomes unknown.
   *
   * @return {@code true} if the slot now holds nothing
   */
  public boolean trim() {
    dirty = false;
    if (!purgeImage()) {
      return false;
    }
    writtenBytes = 0;
    if (unknown || accessible == 0) {
      return !unknown;
    }
    Reservation r = reservation();
    long bytes = accessible;
    try {
      // Inaccessible first: the reset then covers no accessible byte outside the slot's range.
      r.makeInaccessible(base, bytes);
      accessible = 0;
      r.reset(base, bytes, 0);
      return true;
    } catch (BackendException e) {
      unknown = true;
      LOG.log(System.Logger.Level.WARNING, "trimming a memory slot failed; the slot will be erased before reuse", e);
      return false;
    }
  }

  /**
   * Paves an unknown slot: removes any image (also one whose mapping failed half-way) and resets
   * every byte ever made accessible to zero, then makes the slot inaccessible (a fresh start).
   *
   * @throws BackendException if a backend call fails; the slot stays unknown
   */
  void erase() {
    Reservation r = reservation();
    ModuleImage half = attempted;
    if (half != null) {
      dropImage(r, half);
      attempted = null;
    }
    ModuleImage current = image;
    if (current != null) {
      dropImage(r, current);
      image = null;
    }
    if (highWater > 0) {
      r.reset(base, highWater, 0);
      // What is accessible after a failure is not known (a refused mapImage or removeImage leaves
      // its range inaccessible): start over from an inaccessible slot.
      r.makeInaccessible(base, highWater);
    }
    if (key != null) {
      r.colour(base, slotBytes, key);
    }
    accessible = 0;
    highWater = 0;
    writtenBytes = 0;
    dirty = false;
    unknown = false;
  }

  /**
   * Removes an image that may or may not still be mapped (its mapping or removal failed before),
   * then lets go of it.
   *
   * @throws BackendException if the system refuses the removal; the image is still held
   */
  private void dropImage(Reservation r, ModuleImage held) {
    try {
      r.removeImage(base + held.offset());
    } catch (BackendException e) {
      // errno 0: the backend says no image is mapped there (a refused mapImage or removeImage
      // leaves none), which is what we want.
      if (e.errno() != 0) {
        throw e;
      }
    }
    held.release();
  }

  /**
   * Lets go of the images this slot holds without touching the reservation, which is being closed
   * (engine shutdown, end of an on-demand memory).
   */
  public void releaseImages() {
    ModuleImage current = image;
    ModuleImage half = attempted;
    image = null;
    attempted = null;
    if (current != null) {
      current.release();
    }
    if (half != null) {
      half.release();
    }
  }

  private void unmapImage(Reservation r, ModuleImage current) {
    r.removeImage(base + current.offset());
    image = null;
    current.release();
    colour(r, current.offset(), current.byteSize());
  }

  private void colour(Reservation r, long offset, long length) {
    if (key != null) {
      r.colour(base + offset, length, key);
    }
  }

  /**
   * What is known of the contents.
   *
   * @return the state
   */
  public State state() {
    return unknown ? State.UNKNOWN : used ? State.PREVIOUSLY_USED : State.UNMAPPED;
  }

  /**
   * The image mapped now.
   *
   * @return the image, or {@code null}
   */
  public @Nullable ModuleImage image() {
    return image;
  }

  /**
   * The accessible size.
   *
   * @return bytes from the slot's start that are readable and writable
   */
  public long accessibleBytes() {
    return accessible;
  }

  /**
   * The bytes a free slot holds from the system, by {@link HeldBytes}'s rule: with the portable
   * backend its storage (about its accessible size), otherwise what its last reset kept resident.
   *
   * @return bytes; 0 for a slot without a reservation, and, with virtual memory, after a failure,
   *     a trim or a purge of the whole prefix
   */
  public long residentBytes() {
    Reservation r = reservation;
    return r == null ? 0 : HeldBytes.of(r, soleSlot, writtenBytes);
  }

  /**
   * The slot's colour.
   *
   * @return the key, or {@code null} without striping
   */
  public @Nullable ProtectionKey key() {
    return key;
  }
}
