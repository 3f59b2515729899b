package dev.wasmpool.api.internal.engine;

import java.lang.foreign.Arena;

/**
 * The life of one instance allocation, shared by the allocation and its memories and tables: the
 * arena every handed-out segment is bound to, and whether the allocation was closed.
 *
 * <p>Its monitor orders memory growth against close: {@link AllocatedMemory#grow} holds it while
 * it changes the slot, and {@link Allocation#close()} marks the lifetime closed under it.
 */
final class Lifetime {

  /** Owns the views; closed first when the allocation closes. */
  final Arena arena = Arena.ofShared();

  /** Written under this object's monitor. */
  private volatile boolean closed;

  /**
   * Fails if the allocation was closed.
   *
   * @throws IllegalStateException if it was
   */
  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the instance allocation was closed");
    }
  }

  boolean isClosed() {
    return closed;
  }

  /**
   * Marks the lifetime closed and closes the arena.
   *
   * @return {@code false} if it was closed already
   * @throws IllegalStateException if the arena cannot be closed (a segment is in use by a native
   *     call); the lifetime then stays open
   */
  synchronized boolean close() {
    if (closed) {
      return false;
    }
    closed = true;
    try {
      arena.close();
    } catch (IllegalStateException e) {
      closed = false;
      throw e;
    }
    return true;
  }
}
