package dev.wasmpool.endive;

import run.endive.runtime.Memory;
import run.endive.wasm.WasmModule;
import run.endive.wasm.types.ActiveDataSegment;
import run.endive.wasm.types.DataSegment;
import run.endive.wasm.types.ExternalType;
import run.endive.wasm.types.Instruction;
import run.endive.wasm.types.MemoryImport;
import run.endive.wasm.types.MemoryLimits;
import run.endive.wasm.types.MemorySection;
import run.endive.wasm.types.OpCode;
import run.endive.wasm.types.PassiveDataSegment;
import run.endive.wasm.types.Table;
import run.endive.wasm.types.TableLimits;
import run.endive.wasm.types.TableSection;
import dev.wasmpool.api.binding.ActiveData;
import dev.wasmpool.api.binding.DataInitPlan;
import dev.wasmpool.api.binding.InstanceSize;
import dev.wasmpool.api.binding.MemoryInit;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.binding.TableType;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * What the Endive binding reads from a module once, at load: the engine's {@link
 * ModuleDescriptor}, one copy of each data segment's bytes ({@link DataSegment#data()} clones on
 * every call), each segment's constant offset, the load-time {@link DataInitPlan} of every memory,
 * and the declared table limits (Endive's own table growth mutates the module's {@link
 * TableLimits}).
 *
 * <p>Immutable and thread-safe; the byte arrays must never be written.
 */
final class EndiveModuleData {

  private static final byte[] NO_BYTES = new byte[0];

  private final WasmModule module;
  private final DataSegment[] segments;
  private final byte[][] bytes;
  private final DataInitPlan plan;
  private final ModuleDescriptor descriptor;
  private final long[] tableMinimums;
  private final long[] tableMaximums;

  private EndiveModuleData(String name, WasmModule module) {
    this.module = module;
    this.segments = module.dataSection().dataSegments();
    this.bytes = new byte[segments.length][];
    int importedMemories = module.importSection().count(ExternalType.MEMORY);
    List<Long> minimums = new ArrayList<>();
    for (int i = 0; i < module.importSection().importCount(); i++) {
      if (module.importSection().getImport(i) instanceof MemoryImport memory) {
        minimums.add((long) memory.limits().initialPages());
      }
    }
    List<MemoryType> memories = new ArrayList<>();
    MemorySection memorySection = module.memorySection().orElse(null);
    for (int i = 0; memorySection != null && i < memorySection.memoryCount(); i++) {
      MemoryLimits limits = memorySection.getMemory(i).limits();
      minimums.add((long) limits.initialPages());
      memories.add(
          new MemoryType(
              limits.initialPages(),
              limits.maximumPages() >= MemoryLimits.MAX_PAGES
                  ? OptionalLong.empty()
                  : OptionalLong.of(limits.maximumPages()),
              limits.shared()));
    }

    List<ActiveData> active = new ArrayList<>();
    List<MemoryInit> inits = new ArrayList<>();
    for (int i = 0; i < segments.length; i++) {
      bytes[i] = segments[i].data();
      if (segments[i] instanceof ActiveDataSegment segment) {
        long offset = constantOffset(segment.offsetInstructions());
        active.add(new ActiveData(i, (int) segment.index(), offset, bytes[i]));
        if (segment.index() >= importedMemories) {
          inits.add(
              new MemoryInit(
                  (int) segment.index() - importedMemories,
                  offset == ActiveData.NOT_CONSTANT ? OptionalLong.empty() : OptionalLong.of(offset),
                  bytes[i]));
        }
      }
    }
    long[] minimumPages = minimums.stream().mapToLong(Long::longValue).toArray();
    this.plan = DataInitPlan.of(minimumPages.length, active, m -> fits(active, m, minimumPages[m]));

    TableSection tableSection = module.tableSection();
    int definedTables = tableSection.tableCount();
    List<TableType> tables = new ArrayList<>();
    this.tableMinimums = new long[definedTables];
    this.tableMaximums = new long[definedTables];
    for (int i = 0; i < definedTables; i++) {
      Table table = tableSection.getTable(i);
      TableLimits limits = table.limits();
      tableMinimums[i] = limits.min();
      tableMaximums[i] = limits.max();
      tables.add(
          new TableType(
              limits.min(),
              limits.max() >= TableLimits.LIMIT_MAX ? OptionalLong.empty() : OptionalLong.of(limits.max())));
    }

    this.descriptor =
        new ModuleDescriptor(
            name,
            memories,
            tables,
            inits,
            InstanceSize.estimate(
                module.importSection().count(ExternalType.FUNCTION),
                module.functionSection().functionCount(),
                module.typeSection().typeCount(),
                module.importSection().count(ExternalType.GLOBAL) + module.globalSection().globalCount(),
                importedMemories,
                memories.size(),
                module.importSection().count(ExternalType.TABLE),
                definedTables,
                (long) segments.length + module.elementSection().elementCount()));
  }

  /**
   * Reads a module.
   *
   * @param name the name for messages and metrics
   * @param module the parsed module
   * @return what the binding keeps of it
   */
  static EndiveModuleData of(String name, WasmModule module) {
    return new EndiveModuleData(name, module);
  }

  /** Whether every segment of memory {@code m} has a constant offset and ends within its minimum. */
  private static boolean fits(List<ActiveData> active, int m, long minimumPages) {
    long limit = minimumPages * Memory.PAGE_SIZE;
    return active.stream()
        .filter(a -> a.memoryIndex() == m)
        .allMatch(a -> a.hasConstantOffset() && a.constantOffset() + a.bytes().length <= limit);
  }

  /** The offset of a lone {@code i32.const} (then {@code end}), or {@link ActiveData#NOT_CONSTANT}. */
  private static long constantOffset(List<Instruction> expression) {
    long offset = ActiveData.NOT_CONSTANT;
    for (int i = 0; i < expression.size(); i++) {
      OpCode opcode = expression.get(i).opcode();
      if (i == 0 && opcode == OpCode.I32_CONST) {
        offset = Integer.toUnsignedLong((int) expression.get(i).operand(0));
      } else if (!(i > 0 && opcode == OpCode.END)) {
        return ActiveData.NOT_CONSTANT;
      }
    }
    return offset;
  }

  ModuleDescriptor descriptor() {
    return descriptor;
  }

  DataInitPlan plan() {
    return plan;
  }

  /** Whether {@code candidate} is this module itself, so an instance's segments are its own. */
  boolean isModule(WasmModule candidate) {
    return candidate == module;
  }

  /** The module's segment at an index, as Endive copies it into each instance. */
  DataSegment segment(int segmentId) {
    return segments[segmentId];
  }

  /**
   * The bytes of the segment an instance holds at an index, without a copy when it is the module's.
   *
   * @return the bytes; callers must not write them
   */
  byte[] bytes(int segmentId, DataSegment current) {
    if (segmentId < segments.length && segments[segmentId] == current) {
      return bytes[segmentId];
    }
    if (current == PassiveDataSegment.EMPTY) {
      return NO_BYTES;
    }
    return current.data();
  }

  long tableMinimum(int index) {
    return tableMinimums[index];
  }

  long tableMaximum(int index) {
    return tableMaximums[index];
  }
}
