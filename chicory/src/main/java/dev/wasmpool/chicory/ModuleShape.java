package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.TableSection;
import com.dylibso.chicory.wasm.types.ValType;
import dev.wasmpool.api.ModuleValidationException;
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

  /**
   * One imported memory: the import's names and limits, and the descriptor its pool slots are
   * registered with (one memory whose data is this module's data for the import).
   *
   * @param module the import's module name
   * @param name the import's field name
   * @param limits the import's declared limits
   * @param descriptor the descriptor of the memory's slots
   */
  record MemoryImportShape(String module, String name, MemoryLimits limits, ModuleDescriptor descriptor) {}

  private final ModuleDescriptor descriptor;
  private final List<MemoryImportShape> memoryImports;
  private final DataSegmentCache data;
  private final ValType[] tableElementTypes;
  private final long[] tableMinimums;
  private final long[] tableMaximums;

  private ModuleShape(
      ModuleDescriptor descriptor,
      DataSegmentCache data,
      ValType[] tableElementTypes,
      long[] tableMinimums,
      long[] tableMaximums,
      List<MemoryImportShape> memoryImports) {
    this.descriptor = descriptor;
    this.memoryImports = List.copyOf(memoryImports);
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
   * @throws ModuleValidationException if a memory's minimum exceeds Chicory's 32767 pages
   */
  static ModuleShape of(String name, WasmModule module) {
    DataSegmentCache data = DataSegmentCache.of(module);
    int importedMemories = module.importSection().count(ExternalType.MEMORY);

    List<MemoryType> memories = new ArrayList<>();
    MemorySection memorySection = module.memorySection().orElse(null);
    for (int i = 0; memorySection != null && i < memorySection.memoryCount(); i++) {
      MemoryLimits limits = memorySection.getMemory(i).limits();
      checkRuntimeLimit(i, limits);
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
    return new ModuleShape(descriptor, data, elementTypes, minimums, maximums, memoryImports(name, module, data));
  }

  /**
   * Rejects a memory Chicory cannot hold: its memories have at most {@link
   * Memory#RUNTIME_MAX_PAGES} pages, and their byte sizes are {@code int}s, so a larger minimum
   * would overflow every bounds check of the instance.
   */
  private static void checkRuntimeLimit(int index, MemoryLimits limits) {
    if (limits.initialPages() > Memory.RUNTIME_MAX_PAGES) {
      throw new ModuleValidationException(
          List.of(
              "module memory does not fit in Chicory's limits",
              "memory index " + index + " is unsupported by Chicory",
              "memory has a minimum of "
                  + limits.initialPages()
                  + " pages which exceeds Chicory's limit of "
                  + Memory.RUNTIME_MAX_PAGES
                  + " pages (Memory.RUNTIME_MAX_PAGES)"));
    }
  }

  /** The module's imported memories, each with its own data as the descriptor of its slots. */
  private static List<MemoryImportShape> memoryImports(String name, WasmModule module, DataSegmentCache data) {
    List<MemoryImportShape> imports = new ArrayList<>();
    for (int i = 0; i < module.importSection().importCount(); i++) {
      if (!(module.importSection().getImport(i) instanceof MemoryImport memory)) {
        continue;
      }
      int memoryIndex = imports.size();
      MemoryLimits limits = memory.limits();
      checkRuntimeLimit(memoryIndex, limits);
      List<MemoryInit> inits = new ArrayList<>();
      long segments = 0;
      for (int s = 0; s < data.size(); s++) {
        if (data.segment(s) instanceof ActiveDataSegment active && active.index() == memoryIndex) {
          long offset = data.constantOffset(s);
          segments++;
          inits.add(
              new MemoryInit(
                  0,
                  offset == DataSegmentCache.NOT_CONSTANT ? OptionalLong.empty() : OptionalLong.of(offset),
                  data.bytes(s, active)));
        }
      }
      MemoryType type =
          new MemoryType(
              limits.initialPages(),
              limits.maximumPages() >= MemoryLimits.MAX_PAGES
                  ? OptionalLong.empty()
                  : OptionalLong.of(limits.maximumPages()),
              limits.shared());
      ModuleDescriptor descriptor =
          new ModuleDescriptor(
              name + " import " + memory.module() + "." + memory.name(),
              List.of(type),
              List.of(),
              inits,
              InstanceSize.estimate(0, 0, 0, 0, 0, 1, 0, 0, segments));
      imports.add(new MemoryImportShape(memory.module(), memory.name(), limits, descriptor));
    }
    return imports;
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

  List<MemoryImportShape> memoryImports() {
    return memoryImports;
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
