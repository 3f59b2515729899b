package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.SlotMemory;

/**
 * The smallest runtime memory over a slot: what a binding's memory does, with plain exceptions
 * (out of bounds: {@link IndexOutOfBoundsException}).
 */
final class ViewMemory extends SlotMemory {

  /** A memory of the slot's size that may grow to {@code maximumPages}. */
  ViewMemory(LinearMemory linear, int maximumPages) {
    super(linear, (int) linear.pages(), maximumPages, false);
  }

  /** A memory of the slot's size that does not grow. */
  ViewMemory(LinearMemory linear) {
    this(linear, (int) linear.pages());
  }

  @Override
  protected RuntimeException trap(String message) {
    return new IndexOutOfBoundsException(message);
  }

  @Override
  protected RuntimeException unalignedAtomic() {
    return new IllegalArgumentException("unaligned");
  }

  @Override
  protected RuntimeException waitOnUnshared() {
    return new IllegalArgumentException("unshared");
  }
}
