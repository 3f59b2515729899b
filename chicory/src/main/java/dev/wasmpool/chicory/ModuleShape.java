package dev.wasmpool.chicory;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.TableSection;
import com.dylibso.chicory.wasm.types.ValType;
import dev.wasmpool.api.binding.InstanceSize;
import dev.wasmpool.api.binding.MemoryInit;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.binding.TableType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What the binding reads from a Chicory module once, at load: the engine's {@link
 * ModuleDescriptor}, the data-segment cache, and the declared table types (kept apart from the
 * module's own {@link TableLimits} objects, which Chicory 1.7.5 mutates when a table grows).
 *
 * <p>Immutable and thread-safe.
 */
final class ModuleShape {

  private final ModuleDescriptor descriptor;
  private final DataSegmentCache data;
  private final ValType[] tableElementTypes;
  private final long[] tableMinimums;
  private final long[] tableMaximums;

  private ModuleShape(
      ModuleDescriptor descriptor,
      DataSegmentCache data,
      ValType[] tableElementTypes,
      long[] tableMinimums,
      long[] tableMaximums) {
    this.descriptor = descriptor;
    this.data = data;
    this.tableElementTypes = tableElementTypes;
    this.tableMinimums = tableMinimums;
    this.tableMaximums = tableMaximums;
  }

  /**
   * Reads a module.
   *
   * @param name the name for messages and metrics
   * @param module the parsed module
   * @return its shape
   */
  static ModuleShape of(String name, WasmModule module) {
    DataSegmentCache data = DataSegmentCache.of(module);
    int importedMemories = module.importSection().count(ExternalType.MEMORY);

    List<MemoryType> memories = new ArrayList<>();
    MemorySection memorySection = module.memorySection().orElse(null);
    for (int i = 0; memorySection != null && i < memorySection.memoryCount(); i++) {
      MemoryLimits limits = memorySection.getMemory(i).limits();
      memories.add(
          new MemoryType(
              limits.initialPages(),
              limits.maximumPages() >= MemoryLimits.MAX_PAGES
                  ? OptionalLong.empty()
                  : OptionalLong.of(limits.maximumPages()),
              limits.shared()));
    }

    TableSection tableSection = module.tableSection();
    int definedTables = tableSection.tableCount();
    List<TableType> tables = new ArrayList<>();
    ValType[] elementTypes = new ValType[definedTables];
    long[] minimums = new long[definedTables];
    long[] maximums = new long[definedTables];
    for (int i = 0; i < definedTables; i++) {
      Table table = tableSection.getTable(i);
      TableLimits limits = table.limits();
      elementTypes[i] = table.elementType();
      minimums[i] = limits.min();
      maximums[i] = limits.max();
      tables.add(
          new TableType(
              limits.min(),
              limits.max() >= TableLimits.LIMIT_MAX
                  ? OptionalLong.empty()
                  : OptionalLong.of(limits.max())));
    }

    List<MemoryInit> inits = new ArrayList<>();
    for (int i = 0; i < data.size(); i++) {
      DataSegment segment = data.segment(i);
      if (segment instanceof ActiveDataSegment active && active.index() >= importedMemories) {
        long offset = data.constantOffset(i);
        inits.add(
            new MemoryInit(
                (int) active.index() - importedMemories,
                offset == DataSegmentCache.NOT_CONSTANT ? OptionalLong.empty() : OptionalLong.of(offset),
                data.bytes(i, segment)));
      }
    }

    ModuleDescriptor descriptor =
        new ModuleDescriptor(name, memories, tables, inits, instanceSize(module, data));
    return new ModuleShape(descriptor, data, elementTypes, minimums, maximums);
  }

  /** The estimated per-instance metadata, by part ({@link InstanceSize}). */
  private static Map<String, Long> instanceSize(WasmModule module, DataSegmentCache data) {
    return InstanceSize.estimate(
        module.importSection().count(ExternalType.FUNCTION),
        module.functionSection().functionCount(),
        module.typeSection().typeCount(),
        module.importSection().count(ExternalType.GLOBAL) + module.globalSection().globalCount(),
        module.importSection().count(ExternalType.MEMORY),
        module.memorySection().map(s -> s.memoryCount()).orElse(0),
        module.importSection().count(ExternalType.TABLE),
        module.tableSection().tableCount(),
        (long) data.size() + module.elementSection().elementCount());
  }

  ModuleDescriptor descriptor() {
    return descriptor;
  }

  DataSegmentCache data() {
    return data;
  }

  int tableCount() {
    return tableElementTypes.length;
  }

  ValType tableElementType(int index) {
    return tableElementTypes[index];
  }

  long tableMinimum(int index) {
    return tableMinimums[index];
  }

  long tableMaximum(int index) {
    return tableMaximums[index];
  }
}
