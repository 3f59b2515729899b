package dev.wasmpool.dsl

import dev.wasmpool.api.MemoryProtectionKeys
import dev.wasmpool.api.PoolingAllocationConfig
import kotlin.contracts.ExperimentalContracts
import kotlin.contracts.InvocationKind
import kotlin.contracts.contract

/**
 * Builds a [PoolingAllocationConfig] with the DSL, starting from [base] (by default every option
 * at its default).
 *
 * ```kotlin
 * val pool = poolingAllocationConfig {
 *     totalMemories = 200
 *     maxMemorySize = 64.MiB
 *     linearMemoryKeepResident = 64.KiB
 * }
 * ```
 *
 * Inside [engineConfig], use [EngineConfigScope.pooling] instead, which also selects the pooling
 * strategy. Every assignment is passed straight to [PoolingAllocationConfig.Builder]; when the
 * block has run, [PoolingAllocationConfig.Builder.build] checks every value and the rules that
 * relate options, and throws its own [IllegalArgumentException] naming the option and the value.
 *
 * @param base the configuration whose values the block starts from
 * @param block sets the options that differ from [base]
 * @return the configuration, equal to what the Java builder makes from the same calls
 * @throws IllegalArgumentException if an option's value or a combination of options is invalid
 */
@OptIn(ExperimentalContracts::class)
fun poolingAllocationConfig(
    base: PoolingAllocationConfig = PoolingAllocationConfig.defaults(),
    block: PoolingAllocationConfigScope.() -> Unit,
): PoolingAllocationConfig {
    contract { callsInPlace(block, InvocationKind.EXACTLY_ONCE) }
    val scope = PoolingAllocationConfigScope(base)
    scope.block()
    return scope.build()
}

/**
 * A copy of this configuration with the options set in [block] changed; a shorthand for
 * `poolingAllocationConfig(this, block)`.
 *
 * @param block sets the options that change
 * @return the changed configuration; this one is left as it is
 * @throws IllegalArgumentException if an option's value or a combination of options is invalid
 */
@OptIn(ExperimentalContracts::class)
fun PoolingAllocationConfig.copy(block: PoolingAllocationConfigScope.() -> Unit): PoolingAllocationConfig {
    contract { callsInPlace(block, InvocationKind.EXACTLY_ONCE) }
    return poolingAllocationConfig(this, block)
}

/**
 * The receiver of `pooling { }` and [poolingAllocationConfig]: one property per
 * [PoolingAllocationConfig] option.
 *
 * Each property starts at the base configuration's value and can be read back. Setting one calls
 * the [PoolingAllocationConfig.Builder] method of the same name; values are checked when the
 * block has run. That method documents the option's unit, default, edge values and the errors it
 * leads to. Sizes are byte counts: write them with the units in this package
 * (`128.MiB`, `17.pages`).
 *
 * Not thread-safe: use a scope only inside its block.
 */
@WasmpoolDsl
class PoolingAllocationConfigScope internal constructor(base: PoolingAllocationConfig) {

    private val builder: PoolingAllocationConfig.Builder = base.toBuilder()

    /**
     * Unused warm slots kept for their modules before warm slots of other modules are reused;
     * see [PoolingAllocationConfig.Builder.maxUnusedWarmSlots]. Default 100.
     */
    var maxUnusedWarmSlots: Int = base.maxUnusedWarmSlots()
        set(value) {
            builder.maxUnusedWarmSlots(value)
            field = value
        }

    /**
     * Slot resets gathered before they are issued together; `0` and `1` reset at once; see
     * [PoolingAllocationConfig.Builder.decommitBatchSize]. Default 1.
     */
    var decommitBatchSize: Int = base.decommitBatchSize()
        set(value) {
            builder.decommitBatchSize(value)
            field = value
        }

    /**
     * Bytes of each accounted stack reset by writing; kept for parity with Wasmtime, changes
     * nothing under Chicory; see [PoolingAllocationConfig.Builder.asyncStackKeepResident].
     * Default 0.
     */
    var asyncStackKeepResident: Long = base.asyncStackKeepResident()
        set(value) {
            builder.asyncStackKeepResident(value)
            field = value
        }

    /**
     * Bytes at the start of each memory slot reset by writing and kept resident instead of
     * decommitted; see [PoolingAllocationConfig.Builder.linearMemoryKeepResident]. Default 0.
     */
    var linearMemoryKeepResident: Long = base.linearMemoryKeepResident()
        set(value) {
            builder.linearMemoryKeepResident(value)
            field = value
        }

    /**
     * Bytes at the start of each table slot reset by writing and kept resident; see
     * [PoolingAllocationConfig.Builder.tableKeepResident]. Default 0.
     */
    var tableKeepResident: Long = base.tableKeepResident()
        set(value) {
            builder.tableKeepResident(value)
            field = value
        }

    /**
     * Component-instance slots live at once (acquired only explicitly; Chicory has no
     * components); see [PoolingAllocationConfig.Builder.totalComponentInstances]. Default 1000.
     */
    var totalComponentInstances: Int = base.totalComponentInstances()
        set(value) {
            builder.totalComponentInstances(value)
            field = value
        }

    /**
     * Largest size a component-instance slot may be acquired for; see
     * [PoolingAllocationConfig.Builder.maxComponentInstanceSize]. Default 1 MiB.
     */
    var maxComponentInstanceSize: Long = base.maxComponentInstanceSize()
        set(value) {
            builder.maxComponentInstanceSize(value)
            field = value
        }

    /**
     * Linear memory slots, the most memories live at once; see
     * [PoolingAllocationConfig.Builder.totalMemories]. Default 1000.
     */
    var totalMemories: Int = base.totalMemories()
        set(value) {
            builder.totalMemories(value)
            field = value
        }

    /**
     * Table slots, the most tables live at once; see
     * [PoolingAllocationConfig.Builder.totalTables]. Default 1000.
     */
    var totalTables: Int = base.totalTables()
        set(value) {
            builder.totalTables(value)
            field = value
        }

    /**
     * Execution stacks accounted at once (none unless the binding asks); see
     * [PoolingAllocationConfig.Builder.totalStacks]. Default 1000.
     */
    var totalStacks: Int = base.totalStacks()
        set(value) {
            builder.totalStacks(value)
            field = value
        }

    /**
     * Core instances live at once; every instantiation takes one; see
     * [PoolingAllocationConfig.Builder.totalCoreInstances]. Default 1000.
     */
    var totalCoreInstances: Int = base.totalCoreInstances()
        set(value) {
            builder.totalCoreInstances(value)
            field = value
        }

    /**
     * Largest estimated per-instance metadata a module may need, checked at load; see
     * [PoolingAllocationConfig.Builder.maxCoreInstanceSize]. Default 1 MiB.
     */
    var maxCoreInstanceSize: Long = base.maxCoreInstanceSize()
        set(value) {
            builder.maxCoreInstanceSize(value)
            field = value
        }

    /**
     * Tables a module may define; see [PoolingAllocationConfig.Builder.maxTablesPerModule].
     * Default 1.
     */
    var maxTablesPerModule: Int = base.maxTablesPerModule()
        set(value) {
            builder.maxTablesPerModule(value)
            field = value
        }

    /**
     * Elements any pooled table may hold, which sizes every table slot; see
     * [PoolingAllocationConfig.Builder.tableElements]. Default 20000.
     */
    var tableElements: Int = base.tableElements()
        set(value) {
            builder.tableElements(value)
            field = value
        }

    /**
     * Linear memories a module may define; see
     * [PoolingAllocationConfig.Builder.maxMemoriesPerModule]. Default 1.
     */
    var maxMemoriesPerModule: Int = base.maxMemoriesPerModule()
        set(value) {
            builder.maxMemoriesPerModule(value)
            field = value
        }

    /**
     * Bytes any pooled linear memory may reach; must not exceed the engine's
     * `memoryReservation`; see [PoolingAllocationConfig.Builder.maxMemorySize]. Default 32767
     * pages (2 GiB - 64 KiB).
     */
    var maxMemorySize: Long = base.maxMemorySize()
        set(value) {
            builder.maxMemorySize(value)
            field = value
        }

    /**
     * Whether protection keys stripe the memory pool; see
     * [PoolingAllocationConfig.Builder.memoryProtectionKeys]. Default
     * [MemoryProtectionKeys.DISABLE].
     */
    var memoryProtectionKeys: MemoryProtectionKeys = base.memoryProtectionKeys()
        set(value) {
            builder.memoryProtectionKeys(value)
            field = value
        }

    /**
     * Protection keys the engine uses at most; see
     * [PoolingAllocationConfig.Builder.maxMemoryProtectionKeys]. Default 16.
     */
    var maxMemoryProtectionKeys: Int = base.maxMemoryProtectionKeys()
        set(value) {
            builder.maxMemoryProtectionKeys(value)
            field = value
        }

    /**
     * GC-heap slots live at once (acquired only explicitly; Chicory has no Wasm GC heaps); see
     * [PoolingAllocationConfig.Builder.totalGcHeaps]. Default 1000.
     */
    var totalGcHeaps: Int = base.totalGcHeaps()
        set(value) {
            builder.totalGcHeaps(value)
            field = value
        }

    /**
     * How long an instantiation waits for a slot of a full pool before it fails; `Duration.ZERO`
     * fails at once; see [PoolingAllocationConfig.Builder.acquireTimeout]. Default 0.
     */
    var acquireTimeout: java.time.Duration = base.acquireTimeout()
        set(value) {
            builder.acquireTimeout(value)
            field = value
        }

    /**
     * How long a warm slot may stay unused before its memory is handed back; `Duration.ZERO`
     * never trims; see [PoolingAllocationConfig.Builder.warmSlotIdleTimeout]. Default 0.
     */
    var warmSlotIdleTimeout: java.time.Duration = base.warmSlotIdleTimeout()
        set(value) {
            builder.warmSlotIdleTimeout(value)
            field = value
        }

    /**
     * How long an instance may stay open before it is logged as a possible leak, with the stack
     * that made it; `Duration.ZERO` records nothing; see
     * [PoolingAllocationConfig.Builder.leakDetectionThreshold]. Default 0.
     */
    var leakDetectionThreshold: java.time.Duration = base.leakDetectionThreshold()
        set(value) {
            builder.leakDetectionThreshold(value)
            field = value
        }

    internal fun build(): PoolingAllocationConfig = builder.build()
}
