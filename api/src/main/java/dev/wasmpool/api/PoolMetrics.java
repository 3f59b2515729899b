package dev.wasmpool.api;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.ResourcePermit;

/**
 * A snapshot of an engine's pools, taken by {@link Engine#metrics()}: immutable and thread-safe.
 * The counts are read one after another without a global lock, so under concurrent use they may
 * mix moments.
 *
 * <p>Counting rules:
 *
 * <ul>
 *   <li>The live counts ({@code coreInstances} to {@code gcHeaps}) count what open allocations
 *       and permits hold: one core instance per {@link InstanceAllocation}, one memory per
 *       defined memory, one table per defined table, and each open {@link ResourcePermit}.
 *   <li>A slot is <em>unused warm</em> once it has been used and returned to its pool; it counts
 *       whether or not it still has affinity to a module. Cold (never used) slots are not
 *       counted. A slot whose reset waits in the decommit queue ({@link
 *       PoolingAllocationConfig#decommitBatchSize()} above 1) is neither live nor unused warm
 *       until its batch is flushed.
 *   <li>{@code unused...BytesResident} sums, over unused warm slots, the bytes their last reset
 *       kept resident: the keep-resident prefix ({@link
 *       PoolingAllocationConfig#linearMemoryKeepResident()}, {@link
 *       PoolingAllocationConfig#tableKeepResident()}) capped at the bytes the slot had accessible,
 *       rounded to whole host pages. Pages a backend cannot hand back are not counted.
 *   <li>wasmpool has no stack pool, so {@code unusedWarmStacks} and {@code
 *       unusedStackBytesResident} are always 0; {@code stacks} counts {@link
 *       AccountedResource#STACK} permits.
 *   <li>With the on-demand strategy nothing is kept between instances: every unused count is 0.
 * </ul>
 *
 * @param coreInstances live instance allocations
 * @param componentInstances live {@link AccountedResource#COMPONENT_INSTANCE} permits
 * @param memories live linear memories
 * @param tables live tables
 * @param stacks live {@link AccountedResource#STACK} permits
 * @param gcHeaps live {@link AccountedResource#GC_HEAP} permits
 * @param unusedWarmMemories memory slots used before and free now
 * @param unusedWarmTables table slots used before and free now
 * @param unusedWarmStacks always 0 (no stack pool)
 * @param unusedMemoryBytesResident bytes kept resident by free memory slots
 * @param unusedTableBytesResident bytes kept resident by free table slots
 * @param unusedStackBytesResident always 0 (no stack pool)
 */
public record PoolMetrics(
    int coreInstances,
    int componentInstances,
    int memories,
    int tables,
    int stacks,
    int gcHeaps,
    int unusedWarmMemories,
    int unusedWarmTables,
    int unusedWarmStacks,
    long unusedMemoryBytesResident,
    long unusedTableBytesResident,
    long unusedStackBytesResident) {}
