package dev.wasmpool.chicory;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import java.util.List;

/**
 * The data segments of one module, read once when the module is loaded.
 *
 * <p>Chicory's {@link DataSegment#data()} returns a fresh clone on every call, and its own memories
 * call it for every active segment of every instantiation. This cache takes that clone once per
 * segment and hands out the same array afterwards; pooled memories recognise the module's
 * segments by identity (Chicory copies the module's segment objects, not their bytes, into each
 * instance's array).
 *
 * <p>It also records, per segment, the offset when it is a lone {@code i32.const}: the offsets a
 * memory image is built from, which a pooled memory checks against the evaluated offsets before
 * it skips writing bytes the image already holds.
 *
 * <p>Immutable after construction and thread-safe; the byte arrays must never be written.
 */
final class DataSegmentCache {

  /** Marks a segment whose offset is not a constant (passive, or computed from globals). */
  static final long NOT_CONSTANT = -1;

  private static final byte[] NO_BYTES = new byte[0];

  /** The cache of a module without data segments. */
  static final DataSegmentCache NONE = new DataSegmentCache(new DataSegment[0]);

  /** The module's segment objects, in module order; identity matters. */
  private final DataSegment[] segments;

  /** One copy of each segment's bytes, indexed like {@link #segments}. */
  private final byte[][] bytes;

  /** Each segment's constant offset as an unsigned 32-bit value, or {@link #NOT_CONSTANT}. */
  private final long[] constantOffsets;

  private DataSegmentCache(DataSegment[] segments) {
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
  }

  /**
   * Reads the data segments of a module.
   *
   * @param module the parsed module
   * @return the cache
   */
  static DataSegmentCache of(WasmModule module) {
    return new DataSegmentCache(module.dataSection().dataSegments());
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
