package dev.wasmpool.api.internal.limits;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;

/**
 * The counters an engine keeps besides its memory and table pools: core instances (one per
 * instance allocation) and the {@link AccountedResource}s that embedders take explicitly.
 *
 * @param coreInstances live instance allocations, bounded by {@code totalCoreInstances}
 * @param componentInstances live component-instance permits, bounded by {@code
 *     totalComponentInstances}
 * @param stacks live stack permits, bounded by {@code totalStacks}
 * @param gcHeaps live GC-heap permits, bounded by {@code totalGcHeaps}
 */
public record InstanceLimits(
    CountLimit coreInstances, CountLimit componentInstances, CountLimit stacks, CountLimit gcHeaps) {

  /**
   * The limits of a pool configuration.
   *
   * @param config the configuration
   * @return the counters, all zero
   */
  public static InstanceLimits of(PoolingAllocationConfig config) {
    return new InstanceLimits(
        new CountLimit("core instances", config.totalCoreInstances()),
        new CountLimit(AccountedResource.COMPONENT_INSTANCE.kind(), config.totalComponentInstances()),
        new CountLimit(AccountedResource.STACK.kind(), config.totalStacks()),
        new CountLimit(AccountedResource.GC_HEAP.kind(), config.totalGcHeaps()));
  }

  /**
   * Counters without bounds, for the on-demand strategy.
   *
   * @return the counters, all zero
   */
  public static InstanceLimits unbounded() {
    return new InstanceLimits(
        CountLimit.unbounded("core instances"),
        CountLimit.unbounded(AccountedResource.COMPONENT_INSTANCE.kind()),
        CountLimit.unbounded(AccountedResource.STACK.kind()),
        CountLimit.unbounded(AccountedResource.GC_HEAP.kind()));
  }

  /**
   * The counter of an accounted resource.
   *
   * @param resource the resource
   * @return its counter
   */
  public CountLimit of(AccountedResource resource) {
    return switch (resource) {
      case COMPONENT_INSTANCE -> componentInstances;
      case STACK -> stacks;
      case GC_HEAP -> gcHeaps;
    };
  }

  /**
   * A metrics snapshot: these limits' live counts plus what the memory and table pools report.
   * Accounted stacks carry no memory, so none is ever warm or resident.
   *
   * @param memories live linear memories
   * @param tables live tables
   * @param unusedWarmMemories memory slots free but warm
   * @param unusedWarmTables table slots free but warm
   * @param unusedMemoryBytesResident bytes resident in free memory slots
   * @param unusedTableBytesResident bytes resident in free table slots
   * @param counters the pools' activity
   * @return the snapshot
   */
  public PoolMetrics metrics(
      int memories,
      int tables,
      int unusedWarmMemories,
      int unusedWarmTables,
      long unusedMemoryBytesResident,
      long unusedTableBytesResident,
      PoolMetrics.Counters counters) {
    return new PoolMetrics(
        coreInstances.live(),
        componentInstances.live(),
        memories,
        tables,
        stacks.live(),
        gcHeaps.live(),
        unusedWarmMemories,
        unusedWarmTables,
        0,
        unusedMemoryBytesResident,
        unusedTableBytesResident,
        0,
        counters);
  }
}
