package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.wasmpool.api.binding.TableSlot;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Chicory {@link TableInstance} whose elements live in a pool slot ({@link TableSlot}).
 *
 * <p>Each element is 8 bytes: the reference plus one (so the zero a fresh slot holds reads as a
 * null reference) in the low half, and in the high half which instance owns the function (0 for
 * none, meaning the calling instance, as in Chicory). Instances are Java objects and stay on the
 * heap: the first one seen is kept in a field, further distinct ones in a small array, so a table
 * filled by its own instance needs no array at all.
 *
 * <p>Limits are a private copy made from the module's declared limits when the module was loaded:
 * Chicory 1.7.5's own {@code TableInstance.grow} grows the {@link TableLimits} object shared by
 * every instance of the module, so a later instance would start at the grown size. Here growth
 * changes only this table's copy, and each instance starts at the declared minimum.
 *
 * <p>After the allocation is closed every access throws {@link IllegalStateException} (with the
 * exception {@link PooledMemory} describes for a close on another thread).
 *
 * <p>Thread-safety: as Chicory's tables; growth must not race with other accesses. The thread that
 * instantiated uses a view confined to it; the first access from another thread switches the table
 * to the allocation's shared view.
 */
final class PooledTable extends TableInstance {

  private static final ValueLayout.OfInt INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  /** No {@link Table} minimum: keeps the superclass from allocating its arrays. */
  private static final TableLimits EMPTY = new TableLimits(0, 0);

  private final TableSlot slot;
  /**
   * The slot's storage: first the allocation's local view, confined to the thread that
   * instantiated; the first access from another thread switches it to the shared view ({@link
   * #elements(WrongThreadException)}).
   */
  private MemorySegment elements;
  private final ValType elementType;
  private final TableLimits limits;
  private final long capacity;
  private int size;

  /** The owner with id 1; most tables see only their own instance. */
  private @Nullable Instance firstOwner;

  /** Owners with ids 2.., created when a second distinct instance is stored. */
  private Instance @Nullable [] moreOwners;

  /**
   * Creates a table over a slot.
   *
   * @param slot the slot, zeroed, of at least the declared minimum
   * @param elementType the element type
   * @param declaredMinimum the module's declared minimum
   * @param declaredMaximum the module's declared maximum ({@link TableLimits#LIMIT_MAX} when none)
   * @param initialValue the value of every initial element, as Chicory computed it
   */
  PooledTable(
      TableSlot slot, ValType elementType, long declaredMinimum, long declaredMaximum, int initialValue) {
    super(new Table(elementType, EMPTY), Value.REF_NULL_VALUE);
    if (declaredMinimum > slot.maximumElements()) {
      throw new IllegalArgumentException(
          "initial table size of "
              + declaredMinimum
              + " exceeds the pooling allocator's configured maximum table size of "
              + slot.maximumElements()
              + " elements");
    }
    this.slot = slot;
    this.elements = slot.localElements();
    this.elementType = elementType;
    this.limits = new TableLimits(declaredMinimum, declaredMaximum);
    this.capacity = Math.min(declaredMaximum, slot.maximumElements());
    this.size = (int) declaredMinimum;
    if (initialValue != Value.REF_NULL_VALUE) {
      fill(0, size, initialValue, null);
    }
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public ValType elementType() {
    return elementType;
  }

  /** This table's limits: the declared maximum, and a minimum that follows growth. */
  @Override
  public TableLimits limits() {
    return limits;
  }

  @Override
  public int grow(int delta, int value, Instance instance) {
    int previous = size;
    long target = (long) previous + delta;
    if (delta < 0 || target > limits.max() || target > capacity) {
      return -1;
    }
    fill(previous, (int) target, value, instance);
    size = (int) target;
    limits.grow(delta);
    return previous;
  }

  @Override
  public int ref(int index) {
    if (index < 0 || index >= size) {
      throw new ChicoryException("undefined element");
    }
    long at = (long) index << 3;
    try {
      return elements.get(INT, at) - 1;
    } catch (WrongThreadException e) {
      return elements(e).get(INT, at) - 1;
    }
  }

  @Override
  public int requiredRef(int index) {
    int ref = ref(index);
    if (ref == Value.REF_NULL_VALUE) {
      throw new ChicoryException("uninitialized element " + index);
    }
    return ref;
  }

  @Override
  public void setRef(int index, int value, Instance instance) {
    if (index < 0 || index >= size) {
      throw new UninstantiableException("out of bounds table access");
    }
    long at = (long) index << 3;
    int owner = ownerId(instance);
    try {
      store(elements, at, value, owner);
    } catch (WrongThreadException e) {
      store(elements(e), at, value, owner);
    }
  }

  /** Writes one element; the first write fails, if any does, before anything is written. */
  private static void store(MemorySegment elements, long at, int value, int owner) {
    elements.set(INT, at, value + 1);
    elements.set(INT, at + 4, owner);
  }

  /**
   * After an access from another thread than the one that instantiated failed: switches to the
   * allocation's shared view, which any thread may use.
   *
   * @throws IllegalStateException if the allocation was closed
   */
  private MemorySegment elements(WrongThreadException e) {
    MemorySegment shared;
    try {
      shared = slot.elements();
    } catch (IllegalStateException closed) {
      closed.addSuppressed(e);
      throw closed;
    }
    elements = shared;
    return shared;
  }

  /** The owner of a function reference, or {@code null} for the calling instance (as Chicory). */
  // Chicory's TableInstance returns null too (callers use requireNonNullElse); its API is not
  // annotated, so the checker assumes non-null.
  @SuppressWarnings("nullness:override.return")
  @Override
  public @Nullable Instance instance(int index) {
    Objects.checkIndex(index, size);
    long at = ((long) index << 3) + 4;
    int id;
    try {
      id = elements.get(INT, at);
    } catch (WrongThreadException e) {
      id = elements(e).get(INT, at);
    }
    if (id == 0) {
      return null;
    }
    if (id == 1) {
      return firstOwner;
    }
    Instance[] more = moreOwners;
    if (more == null) {
      throw new IllegalStateException("table element " + index + " names an unknown owner " + id);
    }
    return more[id - 2];
  }

  @Override
  public void reset() {
    zero(0, size);
  }

  private void zero(int from, int to) {
    long offset = (long) from << 3;
    long length = (long) (to - from) << 3;
    try {
      elements.asSlice(offset, length).fill((byte) 0);
    } catch (WrongThreadException e) {
      elements(e).asSlice(offset, length).fill((byte) 0);
    }
  }

  private void fill(int from, int to, int value, @Nullable Instance instance) {
    if (from == to) {
      return;
    }
    int owner = ownerId(instance);
    if (value + 1 == 0 && owner == 0) {
      zero(from, to);
      return;
    }
    long first = (long) from << 3;
    try {
      store(elements, first, value, owner);
    } catch (WrongThreadException e) {
      store(elements(e), first, value, owner);
    }
    MemorySegment view = elements;
    for (long at = first + 8, end = (long) to << 3; at < end; at += 8) {
      store(view, at, value, owner);
    }
  }

  /** The id of an owner instance, registering it on first sight; 0 for none. */
  private int ownerId(@Nullable Instance instance) {
    if (instance == null) {
      return 0;
    }
    if (firstOwner == null || firstOwner == instance) {
      firstOwner = instance;
      return 1;
    }
    Instance[] more = moreOwners;
    if (more == null) {
      moreOwners = new Instance[] {instance};
      return 2;
    }
    for (int i = 0; i < more.length; i++) {
      if (more[i] == instance) {
        return i + 2;
      }
    }
    Instance[] grown = new Instance[more.length + 1];
    System.arraycopy(more, 0, grown, 0, more.length);
    grown[more.length] = instance;
    moreOwners = grown;
    return more.length + 2;
  }
}
