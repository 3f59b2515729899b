package dev.wasmpool.api.binding;

import java.lang.foreign.MemorySegment;

/**
 * One table of an {@link InstanceAllocation}, held in a pool slot: off-heap storage of {@link
 * #maximumElements()} 8-byte elements, all zero when handed out.
 */
public interface TableSlot {

  /**
   * The index of this table among the module's defined tables.
   *
   * @return the index
   */
  int index();

  /**
   * The table's declared initial size.
   *
   * @return the number of elements at instantiation
   */
  long initialElements();

  /**
   * The size this table may grow to: the least of its declared maximum and the engine's {@code
   * tableElements}.
   *
   * @return the maximum number of elements
   */
  long maximumElements();

  /**
   * The element storage: {@code 8 * maximumElements()} bytes, zero at allocation. Like {@link
   * LinearMemory#segment()}, it dies with the allocation.
   *
   * @return the storage
   * @throws IllegalStateException if the allocation was closed
   */
  MemorySegment elements();

  /**
   * The element storage, like {@link #elements()}, for use by the calling thread only: on the
   * thread that made the allocation, bound to an arena confined to it (see {@link
   * LinearMemory#localSegment()}); on any other thread, {@link #elements()}.
   *
   * @return the storage, confined to the calling thread when it made the allocation
   * @throws IllegalStateException if the allocation was closed
   */
  default MemorySegment localElements() {
    return elements();
  }
}
