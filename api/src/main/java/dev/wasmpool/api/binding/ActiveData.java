package dev.wasmpool.api.binding;

import java.util.Objects;

/**
 * One active data segment as a binding reads it from its runtime's module, once at load.
 *
 * @param segmentIndex the segment's index in the module's data section (what {@code memory.init}
 *     and {@code data.drop} name)
 * @param memoryIndex the index of the memory it targets, as the binding numbers memories (Chicory
 *     counts imported memories first)
 * @param constantOffset the byte offset when the offset expression is a lone {@code i32.const}, as
 *     an unsigned 32-bit value; {@link #NOT_CONSTANT} when it must be evaluated per instance (a
 *     {@code global.get} of an imported global, an extended constant expression)
 * @param bytes the segment's bytes; not copied, so nobody may change them afterwards
 */
public record ActiveData(int segmentIndex, int memoryIndex, long constantOffset, byte[] bytes) {

  /** The {@link #constantOffset()} of a segment whose offset is not a constant. */
  public static final long NOT_CONSTANT = -1;

  /**
   * Checks the arguments.
   *
   * @throws IllegalArgumentException if an index is negative, or the offset is neither {@link
   *     #NOT_CONSTANT} nor an unsigned 32-bit value
   */
  public ActiveData {
    Objects.requireNonNull(bytes, "bytes");
    if (segmentIndex < 0 || memoryIndex < 0) {
      throw new IllegalArgumentException(
          "segmentIndex and memoryIndex must not be negative (were " + segmentIndex + ", " + memoryIndex + ")");
    }
    if (constantOffset != NOT_CONSTANT && (constantOffset < 0 || constantOffset > 0xFFFF_FFFFL)) {
      throw new IllegalArgumentException("constantOffset must be an unsigned 32-bit value (was " + constantOffset + ")");
    }
  }

  /**
   * Whether the offset is known without evaluation.
   *
   * @return {@code true} unless {@link #constantOffset()} is {@link #NOT_CONSTANT}
   */
  public boolean hasConstantOffset() {
    return constantOffset != NOT_CONSTANT;
  }
}
