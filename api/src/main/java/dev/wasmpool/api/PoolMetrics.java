package dev.wasmpool.api;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.ResourcePermit;

/**
 * A snapshot of an engine's pools, taken by {@link Engine#metrics()}: immutable and thread-safe.
 * Each pool's slot counts (its live, unused warm and pending slots, their resident bytes and its
 * {@link Counters}) are read at one moment under that pool's lock, so for one pool {@code live +
 * unused warm + pending} never exceeds its total even under concurrent use. The memory pool, the
 * table pool and the instance counts are read one after another, so across them a snapshot may
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
 *   <li>{@code unused...BytesResident} sums, over unused warm slots, the bytes each slot holds
 *       from the system, as counted when it was last freed, purged or trimmed:
 *       <ul>
 *         <li>on a backend that knows what a reservation holds ({@link
 *             dev.wasmpool.spi.Reservation#residentBytes()}; the portable backend), for a slot that
 *             is alone in its reservation (every slot there), that count: the slot's storage,
 *             which its reset trims to the memory's size at close (the table slot's size for a
 *             table), whatever the keep-resident options;
 *         <li>otherwise (the Linux backend, where the kernel decides which pages stay resident),
 *             the bytes its last reset restored by writing: the keep-resident prefix ({@link
 *             PoolingAllocationConfig#linearMemoryKeepResident()}, {@link
 *             PoolingAllocationConfig#tableKeepResident()}) capped at the bytes the slot had
 *             accessible, rounded to whole host pages; the rest was decommitted.
 *       </ul>
 *       A slot trimmed after {@link PoolingAllocationConfig#warmSlotIdleTimeout()} holds nothing
 *       and counts 0 on both backends.
 *   <li>wasmpool has no stack pool, so {@code unusedWarmStacks} and {@code
 *       unusedStackBytesResident} are always 0; {@code stacks} counts {@link
 *       AccountedResource#STACK} permits.
 *   <li>With the on-demand strategy nothing is kept between instances: every unused count is 0,
 *       and so is every {@link Counters} field but {@code leaksReclaimed}.
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
 * @param unusedMemoryBytesResident bytes held by free memory slots, by the rule above
 * @param unusedTableBytesResident bytes held by free table slots, by the rule above
 * @param unusedStackBytesResident always 0 (no stack pool)
 * @param counters cumulative counts of how slots were chosen and reset, since the engine started
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
    long unusedStackBytesResident,
    PoolMetrics.Counters counters) {

  /**
   * A snapshot without pool activity (all {@link Counters} zero), for strategies that keep no
   * slots.
   *
   * @param coreInstances live instance allocations
   * @param componentInstances live component-instance permits
   * @param memories live linear memories
   * @param tables live tables
   * @param stacks live stack permits
   * @param gcHeaps live GC-heap permits
   * @param unusedWarmMemories memory slots used before and free now
   * @param unusedWarmTables table slots used before and free now
   * @param unusedWarmStacks always 0
   * @param unusedMemoryBytesResident bytes kept resident by free memory slots
   * @param unusedTableBytesResident bytes kept resident by free table slots
   * @param unusedStackBytesResident always 0
   */
  public PoolMetrics(
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
      long unusedStackBytesResident) {
    this(
        coreInstances,
        componentInstances,
        memories,
        tables,
        stacks,
        gcHeaps,
        unusedWarmMemories,
        unusedWarmTables,
        unusedWarmStacks,
        unusedMemoryBytesResident,
        unusedTableBytesResident,
        unusedStackBytesResident,
        Counters.NONE);
  }

  /**
   * What the pools did since the engine started: which of the slot rules served each
   * instantiation, how slots were reset, and how often a pool ran out. All counts only grow.
   *
   * <p>The takes follow {@link PoolingAllocationConfig#maxUnusedWarmSlots()}'s rules: an
   * <em>affine</em> take reused the most recently freed slot of the same module's memory; a
   * <em>warm</em> take reused the least recently freed slot of another module (or of none); a
   * <em>cold</em> take used a slot never used before. Tables have no affinity, so every table
   * take is warm or cold.
   *
   * @param memoryAffineTakes memory slots taken by affinity
   * @param memoryWarmTakes memory slots taken from another module's warm slots
   * @param memoryColdTakes memory slots taken cold
   * @param tableWarmTakes table slots reused
   * @param tableColdTakes table slots taken cold
   * @param pendingResets slots whose reset waits in the decommit queue now (neither live nor
   *     warm); always 0 when {@link PoolingAllocationConfig#decommitBatchSize()} is 0 or 1
   * @param inlineResets slot resets done when their instance closed
   * @param batchedResets slot resets whose decommit went into a batch
   * @param decommitBatches batches handed to the backend (one {@code process_madvise} call, or
   *     one {@code madvise} per range, on Linux)
   * @param exhaustions {@link PoolExhaustedException}s thrown for memories, tables and core
   *     instances (each failed try counts once, also while an instantiation waits for a slot)
   * @param leaksReclaimed instances that became unreachable without being closed and whose slots
   *     the engine reset and returned (see {@link
   *     PoolingAllocationConfig.Builder#leakDetectionThreshold(java.time.Duration)}); counted with
   *     either strategy
   */
  public record Counters(
      long memoryAffineTakes,
      long memoryWarmTakes,
      long memoryColdTakes,
      long tableWarmTakes,
      long tableColdTakes,
      int pendingResets,
      long inlineResets,
      long batchedResets,
      long decommitBatches,
      long exhaustions,
      long leaksReclaimed) {

    /** No activity. */
    public static final Counters NONE = new Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }
}
