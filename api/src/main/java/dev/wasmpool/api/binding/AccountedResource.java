package dev.wasmpool.api.binding;

import dev.wasmpool.api.Engine;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;

/**
 * Resources the pooling configuration bounds but wasmpool does not allocate itself: Chicory has no
 * component model, runs WebAssembly on the caller's Java stack and has no GC heap pool. An
 * embedder or binding that has such things takes a {@link ResourcePermit} for each from {@link
 * Engine#acquire(AccountedResource)}; wasmpool counts them against the limit and reports them in
 * {@link PoolMetrics}. Nothing else depends on them.
 */
public enum AccountedResource {
  /** A component instance, bounded by {@link PoolingAllocationConfig#totalComponentInstances()}. */
  COMPONENT_INSTANCE("component instances"),
  /** An execution stack (fiber), bounded by {@link PoolingAllocationConfig#totalStacks()}. */
  STACK("fibers"),
  /** A garbage-collected heap, bounded by {@link PoolingAllocationConfig#totalGcHeaps()}. */
  GC_HEAP("GC heaps");

  private final String kind;

  AccountedResource(String kind) {
    this.kind = kind;
  }

  /**
   * The name used in {@link PoolExhaustedException#kind()}.
   *
   * @return for example {@code "fibers"}
   */
  public String kind() {
    return kind;
  }
}
