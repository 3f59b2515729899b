package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import dev.wasmpool.api.InstanceAllocation;
import dev.wasmpool.api.LinearMemory;
import dev.wasmpool.api.TableSlot;
import java.util.List;
import java.util.function.Function;

/**
 * Hands one allocation's slots to Chicory while it builds one instance: the memory factory and the
 * table factory of its {@code Instance.Builder}.
 *
 * <p>Chicory calls the memory factory once per defined memory and the table factory once per
 * defined table, in index order and with nothing but the limits (or the table): the k-th call gets
 * the allocation's k-th slot.
 *
 * <p>Not thread-safe: used by the one thread building the instance.
 */
final class InstanceBinder implements Function<MemoryLimits, Memory>, TableFactory {

  private final ModuleShape shape;
  private final List<LinearMemory> memories;
  private final List<TableSlot> tables;

  /** The memories made so far, in index order; the instance revokes them when it closes. */
  private final PooledMemory[] made;

  private int nextMemory;
  private int nextTable;

  InstanceBinder(ModuleShape shape, InstanceAllocation allocation) {
    this.shape = shape;
    this.memories = allocation.memories();
    this.tables = allocation.tables();
    this.made = new PooledMemory[memories.size()];
  }

  /**
   * The memories this binder made.
   *
   * @return them, in index order ({@code null} where Chicory asked for none)
   */
  PooledMemory[] madeMemories() {
    return made;
  }

  /**
   * The next defined memory.
   *
   * @throws IllegalStateException if Chicory asks for more memories than the module defines, or
   *     with limits other than the module's (as {@code Instance.Builder.withMemoryLimits} would
   *     cause, which pooling does not support)
   */
  @Override
  public Memory apply(MemoryLimits limits) {
    int index = nextMemory++;
    if (index >= memories.size()) {
      throw new IllegalStateException(
          "module " + shape.descriptor().name() + " defines " + memories.size() + " memories, Chicory asked for more");
    }
    long declared = shape.descriptor().memories().get(index).minimumPages();
    if (limits.initialPages() != declared) {
      throw new IllegalStateException(
          "memory "
              + index
              + " must have its declared minimum of "
              + declared
              + " pages (was "
              + limits.initialPages()
              + "): Instance.Builder.withMemoryLimits is not supported with pooled memories");
    }
    PooledMemory memory = new PooledMemory(memories.get(index), limits, shape.data());
    made[index] = memory;
    return memory;
  }

  /**
   * The next defined table, with the module's declared limits (not {@code table.limits()}, which
   * Chicory's own table growth may have changed).
   */
  @Override
  public TableInstance create(Table table, int initValue) {
    int index = nextTable++;
    if (index >= tables.size()) {
      throw new IllegalStateException(
          "module " + shape.descriptor().name() + " defines " + tables.size() + " tables, Chicory asked for more");
    }
    return new PooledTable(
        tables.get(index),
        shape.tableElementType(index),
        shape.tableMinimum(index),
        shape.tableMaximum(index),
        initValue);
  }
}
