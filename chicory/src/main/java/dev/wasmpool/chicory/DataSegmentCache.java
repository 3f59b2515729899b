package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import dev.wasmpool.api.binding.ActiveData;
import dev.wasmpool.api.binding.DataInitPlan;
import java.util.ArrayList;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The data segments of one module, read once when the module is loaded.
 *
 * <p>Chicory's {@link DataSegment#data()} returns a fresh clone on every call, and its own memories
 * call it for every active segment of every instantiation. This cache takes that clone once per
 * segment and hands out the same array afterwards; pooled memories recognise the module's
 * segments by identity (Chicory copies the module's segment objects, not their bytes, into each
 * instance's array).
 *
 * <p>It also records, per segment, the offset when it is a lone {@code i32.const} (the offsets a
 * memory image is built from), and plans each memory's initialisation once ({@link #plan()}): a
 * memory whose segments all have constant offsets within its minimum size is covered by its image,
 * so an instance of this module whose slot holds the image writes nothing and evaluates nothing.
 *
 * <p>Immutable after construction and thread-safe; the byte arrays must never be written.
 */
final class DataSegmentCache {

  /** Marks a segment whose offset is not a constant (passive, or computed from globals). */
  static final long NOT_CONSTANT = ActiveData.NOT_CONSTANT;

  private static final byte[] NO_BYTES = new byte[0];

  /** The cache of a module without data segments. */
  static final DataSegmentCache NONE = new DataSegmentCache(null, new DataSegment[0], new long[0]);

  /** The module, recognised by identity in {@code Instance.module()}; {@code null} for {@link #NONE}. */
  private final @Nullable WasmModule module;

  /** The module's segment objects, in module order; identity matters. */
  private final DataSegment[] segments;

  /** One copy of each segment's bytes, indexed like {@link #segments}. */
  private final byte[][] bytes;

  /** Each segment's constant offset as an unsigned 32-bit value, or {@link #NOT_CONSTANT}. */
  private final long[] constantOffsets;

  /** What instantiation writes into each memory (imported ones first, as Chicory numbers them). */
  private final DataInitPlan plan;

  private DataSegmentCache(@Nullable WasmModule module, DataSegment[] segments, long[] minimumPages) {
    this.module = module;
    this.segments = segments;
    this.bytes = new byte[segments.length][];
    this.constantOffsets = new long[segments.length];
    for (int i = 0; i < segments.length; i++) {
      DataSegment segment = segments[i];
      bytes[i] = segment.data();
      constantOffsets[i] =
          segment instanceof ActiveDataSegment active
              ? constantOffset(active.offsetInstructions())
              : NOT_CONSTANT;
    }
    List<ActiveData> active = new ArrayList<>();
    for (int i = 0; i < segments.length; i++) {
      if (segments[i] instanceof ActiveDataSegment segment) {
        active.add(new ActiveData(i, (int) segment.index(), constantOffsets[i], bytes[i]));
      }
    }
    this.plan = DataInitPlan.of(minimumPages.length, active, m -> fitsMinimum(active, m, minimumPages[m]));
  }

  /** Whether every segment of memory {@code m} has a constant offset and ends within its minimum. */
  private static boolean fitsMinimum(List<ActiveData> active, int m, long minimumPages) {
    long limit = minimumPages * Memory.PAGE_SIZE;
    for (ActiveData segment : active) {
      if (segment.memoryIndex() == m
          && (!segment.hasConstantOffset() || segment.constantOffset() + segment.bytes().length > limit)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reads the data segments of a module.
   *
   * @param module the parsed module
   * @return the cache
   */
  static DataSegmentCache of(WasmModule module) {
    List<Long> minimums = new ArrayList<>();
    for (int i = 0; i < module.importSection().importCount(); i++) {
      if (module.importSection().getImport(i) instanceof MemoryImport memory) {
        minimums.add((long) memory.limits().initialPages());
      }
    }
    MemorySection memories = module.memorySection().orElse(null);
    for (int i = 0; memories != null && i < memories.memoryCount(); i++) {
      minimums.add((long) memories.getMemory(i).limits().initialPages());
    }
    long[] minimumPages = minimums.stream().mapToLong(Long::longValue).toArray();
    return new DataSegmentCache(module, module.dataSection().dataSegments(), minimumPages);
  }

  /**
   * Whether an instance is of this module, so that its data segments are this cache's.
   *
   * @param candidate the module of the instance that initialises a memory
   * @return {@code true} if it is this cache's module itself
   */
  boolean isModule(WasmModule candidate) {
    return candidate == module;
  }

  /**
   * What instantiation writes into each memory, decided at load.
   *
   * @return the plan, indexed as Chicory numbers memories (imported first)
   */
  DataInitPlan plan() {
    return plan;
  }

  /**
   * The number of segments of the module.
   *
   * @return the count
   */
  int size() {
    return segments.length;
  }

  /**
   * The module's segment at an index.
   *
   * @param segmentId the segment index
   * @return the segment object Chicory copies into each instance
   */
  DataSegment segment(int segmentId) {
    return segments[segmentId];
  }

  /**
   * Whether {@code candidate} is this module's segment {@code segmentId} itself (not a copy, not a
   * dropped placeholder, not another module's segment).
   *
   * @param segmentId the segment index
   * @param candidate the segment an instance holds at that index
   * @return {@code true} if it is the module's own segment object
   */
  boolean isModuleSegment(int segmentId, DataSegment candidate) {
    return segmentId < segments.length && segments[segmentId] == candidate;
  }

  /**
   * The bytes of the segment an instance holds at an index, without a copy when it is the
   * module's own segment.
   *
   * @param segmentId the segment index
   * @param current the segment the instance holds there (the module's, or a dropped placeholder)
   * @return the bytes; callers must not write them
   */
  byte[] bytes(int segmentId, DataSegment current) {
    if (isModuleSegment(segmentId, current)) {
      return bytes[segmentId];
    }
    if (current == PassiveDataSegment.EMPTY) {
      return NO_BYTES;
    }
    // Not this module's segment (a memory imported by another module): Chicory's path.
    return current.data();
  }

  /**
   * The constant offset of a segment, as an image would place it.
   *
   * @param segmentId the segment index
   * @return the offset as an unsigned 32-bit value, or {@link #NOT_CONSTANT}
   */
  long constantOffset(int segmentId) {
    return constantOffsets[segmentId];
  }

  /**
   * The offset of an offset expression that is a lone {@code i32.const} (optionally followed by
   * {@code end}).
   *
   * @param expression the offset expression
   * @return the offset as an unsigned 32-bit value, or {@link #NOT_CONSTANT} for any other
   *     expression (a {@code global.get} of an import, an extended constant expression)
   */
  static long constantOffset(List<Instruction> expression) {
    long offset = NOT_CONSTANT;
    for (int i = 0; i < expression.size(); i++) {
      Instruction instruction = expression.get(i);
      OpCode opcode = instruction.opcode();
      if (i == 0 && opcode == OpCode.I32_CONST) {
        offset = Integer.toUnsignedLong((int) instruction.operand(0));
      } else if (!(i > 0 && opcode == OpCode.END)) {
        return NOT_CONSTANT;
      }
    }
    return offset;
  }
}
