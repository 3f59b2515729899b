package dev.wasmpool.api;

/**
 * Whether the memory pool uses memory protection keys (Intel MPK, Linux {@code pkey_*}) to pack
 * linear memories into stripes without guard regions between neighbours of different stripes.
 * With a striped pool, guest code runs with access to key 0 and its own instance's key only (see
 * {@link dev.wasmpool.api.binding.GuestRights} and {@link PoolingAllocationConfig.Builder#memoryProtectionKeys}).
 *
 * <p>Keys exist only on x86-64 Linux with a CPU that has PKU and a kernel that enables it; the
 * {@code impl-linux} backend checks both before it calls any {@code pkey_*} function. Elsewhere,
 * and on the {@code impl-portable} backend, no keys are available. Constants are immutable.
 */
public enum MemoryProtectionKeys {
  /** Never use protection keys: every slot keeps its full guard region. The default. */
  DISABLE,
  /** Use protection keys when the backend can allocate at least two; otherwise behave as {@link #DISABLE}. */
  AUTO,
  /**
   * Use protection keys; creating the engine fails with {@code "mpk is disabled on this system"}
   * when the backend cannot provide them.
   */
  ENABLE
}
