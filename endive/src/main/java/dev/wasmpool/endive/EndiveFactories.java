package dev.wasmpool.endive;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.InstanceSlots;
import dev.wasmpool.api.binding.PooledModule;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;
import run.endive.runtime.Memory;
import run.endive.runtime.TableFactory;
import run.endive.runtime.TableInstance;
import run.endive.wasm.types.MemoryLimits;
import run.endive.wasm.types.Table;

/**
 * Endive's memory and table factories over one instance's {@link InstanceSlots}, in index order.
 * A table of GC object references is left to Endive (its slot stays unused).
 *
 * <p>Not thread-safe: used by the one thread building the instance.
 */
final class EndiveFactories implements Function<MemoryLimits, Memory>, TableFactory {

  private final EndiveModuleData data;
  private final InstanceSlots slots;

  EndiveFactories(EndiveModuleData data, PooledModule module, @Nullable InstanceAllocation allocation) {
    this.data = data;
    this.slots =
        new InstanceSlots(
            module, allocation, "take new PooledResources (PooledEndiveModule.resources()) for each instance");
  }

  InstanceSlots slots() {
    return slots;
  }

  @Override
  public Memory apply(MemoryLimits limits) {
    return slots.track(
        new EndiveMemory(slots.nextMemory(limits.initialPages(), limits.maximumPages()), limits, data));
  }

  @Override
  public TableInstance create(Table table, int initValue) {
    int index = slots.tablesTaken();
    var slot = slots.nextTable();
    if (table.elementType().isObjectRef()) {
      return new TableInstance(table, initValue);
    }
    EndiveTable pooled =
        new EndiveTable(slot, table.elementType(), data.tableMinimum(index), data.tableMaximum(index), initValue);
    slots.track(pooled.view());
    return pooled;
  }
}
