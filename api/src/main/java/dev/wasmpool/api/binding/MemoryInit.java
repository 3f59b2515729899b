package dev.wasmpool.api.binding;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * An active data segment: bytes written into a defined memory at instantiation.
 *
 * <p>The engine builds a memory's copy-on-write image from its segments when every one of them has
 * a constant offset and fits within the memory's minimum size.
 *
 * @param memoryIndex the index of the defined memory (imported memories not counted)
 * @param offset the byte offset when it is a constant expression; empty when it depends on an
 *     imported global, which rules out an image for that memory
 * @param bytes the segment's bytes; not copied, so the caller must not change them afterwards
 */
public record MemoryInit(int memoryIndex, OptionalLong offset, byte[] bytes) {

  /**
   * Checks the arguments.
   *
   * @throws IllegalArgumentException if the index or a constant offset is negative
   */
  public MemoryInit {
    Objects.requireNonNull(offset, "offset");
    Objects.requireNonNull(bytes, "bytes");
    if (memoryIndex < 0) {
      throw new IllegalArgumentException("memoryIndex must not be negative (was " + memoryIndex + ")");
    }
    if (offset.isPresent() && offset.getAsLong() < 0) {
      throw new IllegalArgumentException("offset must not be negative (was " + offset.getAsLong() + ")");
    }
  }
}
