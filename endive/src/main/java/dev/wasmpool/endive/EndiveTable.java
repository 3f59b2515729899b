package dev.wasmpool.endive;

import dev.wasmpool.api.binding.SlotTable;
import dev.wasmpool.api.binding.SlotView;
import dev.wasmpool.api.binding.TableSlot;
import org.checkerframework.checker.nullness.qual.Nullable;
import run.endive.runtime.Instance;
import run.endive.runtime.TableInstance;
import run.endive.wasm.UninstantiableException;
import run.endive.wasm.WasmEngineException;
import run.endive.wasm.types.Table;
import run.endive.wasm.types.TableLimits;
import run.endive.wasm.types.ValType;
import run.endive.wasm.types.Value;

/**
 * An Endive {@link TableInstance} of function or extern references whose elements live in a pool
 * slot: wasmpool's {@link SlotTable} with Endive's exceptions and types. Tables of GC object
 * references hold Java objects and are not pooled (the factory leaves them to Endive).
 *
 * <p>Thread-safety: as Endive's tables; growth must not race with other accesses.
 */
final class EndiveTable extends TableInstance {

  /** No {@link Table} minimum: keeps the superclass from allocating its arrays. */
  private static final TableLimits EMPTY = new TableLimits(0, 0);

  private final SlotTable<Instance> elements;
  private final ValType elementType;
  private final TableLimits limits;

  EndiveTable(TableSlot slot, ValType elementType, long declaredMinimum, long declaredMaximum, int initialValue) {
    super(new Table(elementType, EMPTY), Value.REF_NULL_VALUE);
    this.elements = new SlotTable<>(slot, declaredMinimum, declaredMaximum);
    this.elementType = elementType;
    this.limits = new TableLimits(declaredMinimum, declaredMaximum);
    if (initialValue != Value.REF_NULL_VALUE) {
      elements.fill(0, elements.size(), initialValue, null);
    }
  }

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
  public int growWithRef(int delta, @Nullable Object ref, Instance instance) {
    throw new UnsupportedOperationException("pooled tables hold no GC references");
  }

  @Override
  public int ref(int index) {
    if (index < 0 || index >= elements.size()) {
      throw new WasmEngineException("undefined element");
    }
    return elements.ref(index);
  }

  @Override
  public int requiredRef(int index) {
    int ref = ref(index);
    if (ref == Value.REF_NULL_VALUE) {
      throw new WasmEngineException("uninitialized element " + index);
    }
    return ref;
  }

  // Endive's TableInstance answers null for tables without GC references too; its API is not
  // annotated, so the checker assumes non-null.
  @SuppressWarnings("nullness:override.return")
  @Override
  public @Nullable Object objRef(int index) {
    if (index < 0 || index >= elements.size()) {
      throw new WasmEngineException("out of bounds table access");
    }
    return null;
  }

  @Override
  public void setRef(int index, int value, Instance instance) {
    if (index < 0 || index >= elements.size()) {
      throw new UninstantiableException("out of bounds table access");
    }
    elements.set(index, value, instance);
  }

  @Override
  public void setObjRef(int index, @Nullable Object ref, Instance instance) {
    throw new UnsupportedOperationException("pooled tables hold no GC references");
  }

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
