package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.InstanceSlots;
import dev.wasmpool.api.binding.PooledModule;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Chicory's memory and table factories over one instance's {@link InstanceSlots}: the k-th memory
 * (table) Chicory asks for gets the k-th defined memory's (table's) slot, wrapped in a {@link
 * PooledMemory} ({@link PooledTable}).
 *
 * <p>Not thread-safe: used by the one thread building the instance.
 */
final class InstanceBinder implements Function<MemoryLimits, Memory>, TableFactory {

  private final ModuleShape shape;
  private final InstanceSlots slots;

  InstanceBinder(ModuleShape shape, PooledModule module, @Nullable InstanceAllocation allocation) {
    this.shape = shape;
    this.slots =
        new InstanceSlots(
            module, allocation, "take new PooledResources (PooledWasmModule.resources()) for each instance");
  }

  /** The instance's slots. */
  InstanceSlots slots() {
    return slots;
  }

  /**
   * The next defined memory, with the limits Chicory asks for (the module's, or {@code
   * withMemoryLimits}' within the declared ones).
   */
  @Override
  public Memory apply(MemoryLimits limits) {
    return slots.track(
        new PooledMemory(
            slots.nextMemory(limits.initialPages(), limits.maximumPages()), limits, shape.data()));
  }

  /**
   * The next defined table, with the module's declared limits (not {@code table.limits()}, which
   * Chicory's own table growth may have changed).
   */
  @Override
  public TableInstance create(Table table, int initValue) {
    int index = slots.tablesTaken();
    PooledTable pooled =
        new PooledTable(
            slots.nextTable(),
            shape.tableElementType(index),
            shape.tableMinimum(index),
            shape.tableMaximum(index),
            initValue);
    slots.track(pooled.view());
    return pooled;
  }
}
