package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.wasmpool.api.binding.SlotTable;
import dev.wasmpool.api.binding.SlotView;
import dev.wasmpool.api.binding.TableSlot;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Chicory {@link TableInstance} whose elements live in a pool slot: wasmpool's runtime-neutral
 * {@link SlotTable} (storage, owners, growth, revocation) with Chicory's exceptions and types.
 *
 * <p>Limits are a private copy made from the module's declared limits when the module was loaded:
 * Chicory 1.7.5's own {@code TableInstance.grow} grows the {@link TableLimits} object shared by
 * every instance of the module, so a later instance would start at the grown size. Here growth
 * changes only this table's copy, and each instance starts at the declared minimum.
 *
 * <p>After the instance is closed every access throws {@link IllegalStateException} (with the
 * exception {@link PooledMemory} describes for a close on another thread).
 *
 * <p>Thread-safety: as Chicory's tables; growth must not race with other accesses.
 */
final class PooledTable extends TableInstance {

  /** No {@link Table} minimum: keeps the superclass from allocating its arrays. */
  private static final TableLimits EMPTY = new TableLimits(0, 0);

  private final SlotTable<Instance> elements;
  private final ValType elementType;
  private final TableLimits limits;

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
    this.elements = new SlotTable<>(slot, declaredMinimum, declaredMaximum);
    this.elementType = elementType;
    this.limits = new TableLimits(declaredMinimum, declaredMaximum);
    if (initialValue != Value.REF_NULL_VALUE) {
      elements.fill(0, elements.size(), initialValue, null);
    }
  }

  /** The slot view, revoked when the instance closes: every later access throws. */
  SlotView view() {
    return elements.view();
  }

  @Override
  public int size() {
    return elements.size();
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
    int previous = elements.grow(delta, value, instance);
    if (previous >= 0) {
      limits.grow(delta);
    }
    return previous;
  }

  @Override
  public int ref(int index) {
    if (index < 0 || index >= elements.size()) {
      throw new ChicoryException("undefined element");
    }
    return elements.ref(index);
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
    if (index < 0 || index >= elements.size()) {
      throw new UninstantiableException("out of bounds table access");
    }
    elements.set(index, value, instance);
  }

  /** The owner of a function reference, or {@code null} for the calling instance (as Chicory). */
  // Chicory's TableInstance returns null too (callers use requireNonNullElse); its API is not
  // annotated, so the checker assumes non-null.
  @SuppressWarnings("nullness:override.return")
  @Override
  public @Nullable Instance instance(int index) {
    return elements.owner(index);
  }

  @Override
  public void reset() {
    elements.reset();
  }
}
