package dev.wasmpool.api.binding;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The runtime-neutral part of a pooled table: its elements in a {@link TableSlot}, its size and
 * growth, behind a {@link SlotView}. A binding's table (a subclass of its runtime's table class)
 * holds one and adds its runtime's exceptions and types.
 *
 * <p>Each element is 8 bytes: the reference plus one (so the zero a fresh slot holds reads as a
 * null reference) in the low half, and in the high half which instance owns the function (0 for
 * none, meaning the calling instance, as in Chicory). Instances are Java objects and stay on the
 * heap: the first one seen is kept in a field, further distinct ones in a small array, so a table
 * filled by its own instance needs no array at all.
 *
 * <p>Limits are the module's declared ones, copied when the module was loaded: each instance starts
 * at the declared minimum whatever an earlier instance grew to.
 *
 * <p>Thread-safety: as the runtimes' tables; growth must not race with other accesses. After the
 * instance closes every access throws {@link IllegalStateException}.
 *
 * @param <I> the runtime's instance type, the owner of a function reference
 */
public final class SlotTable<I> {

  private static final ValueLayout.OfInt INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private final SlotView view;
  private final long maximum;
  private int size;

  /** The owner with id 1; most tables see only their own instance. */
  private @Nullable I firstOwner;

  /** Owners with ids 2.., created when a second distinct instance is stored. */
  private @Nullable Object @Nullable [] moreOwners;

  /**
   * Creates a table over a slot.
   *
   * @param slot the slot, zeroed
   * @param declaredMinimum the module's declared minimum
   * @param declaredMaximum the module's declared maximum (the runtime's "no maximum" value when
   *     none)
   * @throws IllegalArgumentException if the minimum exceeds what the slot holds
   */
  public SlotTable(TableSlot slot, long declaredMinimum, long declaredMaximum) {
    if (declaredMinimum > slot.maximumElements()) {
      throw new IllegalArgumentException(
          "initial table size of "
              + declaredMinimum
              + " exceeds the pooling allocator's configured maximum table size of "
              + slot.maximumElements()
              + " elements");
    }
    this.view = SlotView.of(slot);
    this.maximum = Math.min(declaredMaximum, slot.maximumElements());
    this.size = (int) declaredMinimum;
  }

  /**
   * The current size.
   *
   * @return elements
   */
  public int size() {
    return size;
  }

  /**
   * The slot view, to revoke it when the instance closes.
   *
   * @return the view
   */
  public SlotView view() {
    return view;
  }

  /**
   * Grows the table, filling the new elements.
   *
   * @param delta the elements to add
   * @param value the reference stored in each new element
   * @param owner the instance that owns the reference, or {@code null}
   * @return the previous size, or {@code -1} beyond the maximum (declared or the slot's)
   * @throws IllegalStateException if the instance was closed
   */
  public int grow(int delta, int value, @Nullable I owner) {
    int previous = size;
    long target = (long) previous + delta;
    if (delta < 0 || target > maximum) {
      return -1;
    }
    fill(previous, (int) target, value, owner);
    size = (int) target;
    return previous;
  }

  /**
   * The reference at an index the caller checked against {@link #size()}.
   *
   * @param index the element's index
   * @return the reference, or the runtime's null value ({@code -1})
   * @throws IllegalStateException if the instance was closed
   */
  public int ref(int index) {
    long at = (long) index << 3;
    try {
      return view.segment().get(INT, at) - 1;
    } catch (RuntimeException e) {
      return view.sharedAfter(e).get(INT, at) - 1;
    }
  }

  /**
   * Stores a reference at an index the caller checked against {@link #size()}.
   *
   * @param index the element's index
   * @param value the reference
   * @param owner the instance that owns it, or {@code null} for the calling instance
   * @throws IllegalStateException if the instance was closed
   */
  public void set(int index, int value, @Nullable I owner) {
    long at = (long) index << 3;
    int id = ownerId(owner);
    try {
      store(view.segment(), at, value, id);
    } catch (RuntimeException e) {
      store(view.sharedAfter(e), at, value, id);
    }
  }

  /** Writes one element; the first write fails, if any does, before anything is written. */
  private static void store(MemorySegment elements, long at, int value, int owner) {
    elements.set(INT, at, value + 1);
    elements.set(INT, at + 4, owner);
  }

  /**
   * The owner of the reference at an index.
   *
   * @param index the element's index
   * @return the owner, or {@code null} for the calling instance
   * @throws IndexOutOfBoundsException if {@code index} is not below {@link #size()}
   * @throws IllegalStateException if the instance was closed
   */
  @SuppressWarnings("unchecked") // moreOwners holds only I's, stored by ownerId
  public @Nullable I owner(int index) {
    Objects.checkIndex(index, size);
    long at = ((long) index << 3) + 4;
    int id;
    try {
      id = view.segment().get(INT, at);
    } catch (RuntimeException e) {
      id = view.sharedAfter(e).get(INT, at);
    }
    if (id == 0) {
      return null;
    }
    if (id == 1) {
      return firstOwner;
    }
    @Nullable Object[] more = moreOwners;
    if (more == null) {
      throw new IllegalStateException("table element " + index + " names an unknown owner " + id);
    }
    return (@Nullable I) more[id - 2];
  }

  /**
   * Sets elements {@code [0, size())} to the null reference.
   *
   * @throws IllegalStateException if the instance was closed
   */
  public void reset() {
    zero(0, size);
  }

  private void zero(int from, int to) {
    long offset = (long) from << 3;
    long length = (long) (to - from) << 3;
    try {
      view.segment().asSlice(offset, length).fill((byte) 0);
    } catch (RuntimeException e) {
      view.sharedAfter(e).asSlice(offset, length).fill((byte) 0);
    }
  }

  /**
   * Stores one reference in elements {@code [from, to)}.
   *
   * @param from the first element
   * @param to the end, exclusive
   * @param value the reference
   * @param owner the instance that owns it, or {@code null}
   * @throws IllegalStateException if the instance was closed
   */
  public void fill(int from, int to, int value, @Nullable I owner) {
    if (from == to) {
      return;
    }
    int id = ownerId(owner);
    if (value + 1 == 0 && id == 0) {
      zero(from, to);
      return;
    }
    long first = (long) from << 3;
    try {
      store(view.segment(), first, value, id);
    } catch (RuntimeException e) {
      store(view.sharedAfter(e), first, value, id);
    }
    MemorySegment elements = view.segment();
    for (long at = first + 8, end = (long) to << 3; at < end; at += 8) {
      store(elements, at, value, id);
    }
  }

  /** The id of an owner instance, registering it on first sight; 0 for none. */
  private int ownerId(@Nullable I instance) {
    if (instance == null) {
      return 0;
    }
    if (firstOwner == null || firstOwner == instance) {
      firstOwner = instance;
      return 1;
    }
    @Nullable Object[] more = moreOwners;
    if (more == null) {
      moreOwners = new Object[] {instance};
      return 2;
    }
    for (int i = 0; i < more.length; i++) {
      if (more[i] == instance) {
        return i + 2;
      }
    }
    @Nullable Object[] grown = new Object[more.length + 1];
    System.arraycopy(more, 0, grown, 0, more.length);
    grown[more.length] = instance;
    moreOwners = grown;
    return more.length + 2;
  }
}
