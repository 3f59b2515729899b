package dev.wasmpool.dsl

import dev.wasmpool.api.AllocationStrategy
import dev.wasmpool.api.EngineConfig
import dev.wasmpool.api.PoolingAllocationConfig
import kotlin.contracts.ExperimentalContracts
import kotlin.contracts.InvocationKind
import kotlin.contracts.contract

/**
 * Builds an [EngineConfig] with the DSL, starting from [base] (by default every option at its
 * default).
 *
 * ```kotlin
 * val config = engineConfig {
 *     memoryReservation = 4.GiB
 *     memoryGuardSize = 32.MiB
 *     backend = "linux"
 *     pooling {
 *         totalMemories = 100
 *         maxMemorySize = 128.MiB
 *         memoryProtectionKeys = MemoryProtectionKeys.AUTO
 *     }
 * }
 * ```
 *
 * Every assignment is passed straight to [EngineConfig.Builder]; when the block has run,
 * [EngineConfig.Builder.build] checks every value and the rules that relate options (a pool's
 * `maxMemorySize` against `memoryReservation`) and throws its own [IllegalArgumentException] naming
 * the option and the value. Only [EngineConfigScope.backend] is checked at assignment, because
 * reading it back gives the normalized name. The result is the same immutable object the Java builder makes
 * from the same calls, equal to it by [EngineConfig.equals].
 *
 * @param base the configuration whose values the block starts from
 * @param block sets the options that differ from [base]
 * @return the configuration
 * @throws IllegalArgumentException if an option's value or a combination of options is invalid
 */
@OptIn(ExperimentalContracts::class)
fun engineConfig(
    base: EngineConfig = EngineConfig.defaults(),
    block: EngineConfigScope.() -> Unit,
): EngineConfig {
    contract { callsInPlace(block, InvocationKind.EXACTLY_ONCE) }
    val scope = EngineConfigScope(base)
    scope.block()
    return scope.build()
}

/**
 * A copy of this configuration with the options set in [block] changed; a shorthand for
 * `engineConfig(this, block)`.
 *
 * @param block sets the options that change
 * @return the changed configuration; this one is left as it is
 * @throws IllegalArgumentException if an option's value or a combination of options is invalid
 */
@OptIn(ExperimentalContracts::class)
fun EngineConfig.copy(block: EngineConfigScope.() -> Unit): EngineConfig {
    contract { callsInPlace(block, InvocationKind.EXACTLY_ONCE) }
    return engineConfig(this, block)
}

/**
 * The receiver of [engineConfig]: one property per [EngineConfig] option, plus [pooling] and
 * [onDemand] to choose the allocation strategy.
 *
 * Each property starts at the base configuration's value and can be read back, so
 * `memoryGuardSize *= 2` works. Setting a property calls the [EngineConfig.Builder] method of the
 * same name; values are checked when the block has run. Defaults, units and the meaning of each
 * option are documented on that method.
 *
 * Not thread-safe: use a scope only inside its block.
 */
@WasmpoolDsl
class EngineConfigScope internal constructor(base: EngineConfig) {

    private val builder: EngineConfig.Builder = base.toBuilder()

    /**
     * How instances get their memories and tables; see [EngineConfig.Builder.allocationStrategy].
     * Usually set through [pooling] or [onDemand]. Default: pooling with
     * [PoolingAllocationConfig.defaults].
     */
    var allocationStrategy: AllocationStrategy = base.allocationStrategy()
        set(value) {
            builder.allocationStrategy(value)
            field = value
        }

    /**
     * Bytes of address space each linear memory reserves, guard excluded; see
     * [EngineConfig.Builder.memoryReservation]. Default 32767 pages (2 GiB - 64 KiB).
     */
    var memoryReservation: Long = base.memoryReservation()
        set(value) {
            builder.memoryReservation(value)
            field = value
        }

    /**
     * Bytes of inaccessible guard after each linear memory; see
     * [EngineConfig.Builder.memoryGuardSize]. Default 64 KiB.
     */
    var memoryGuardSize: Long = base.memoryGuardSize()
        set(value) {
            builder.memoryGuardSize(value)
            field = value
        }

    /**
     * Whether a guard region also precedes the first memory slot; see
     * [EngineConfig.Builder.guardBeforeLinearMemory]. Default `true`.
     */
    var guardBeforeLinearMemory: Boolean = base.guardBeforeLinearMemory()
        set(value) {
            builder.guardBeforeLinearMemory(value)
            field = value
        }

    /**
     * Whether initial memory contents are mapped copy-on-write from a per-module image; see
     * [EngineConfig.Builder.memoryInitCow]. Default `true`.
     */
    var memoryInitCow: Boolean = base.memoryInitCow()
        set(value) {
            builder.memoryInitCow(value)
            field = value
        }

    /**
     * The memory backend by provider name (`"linux"`, `"portable"`, or a plugin's name), or
     * [EngineConfig.AUTO_BACKEND] to let the engine choose; see [EngineConfig.Builder.backend].
     * Reading it back gives the name as the builder stores it, in lower case. Default `"auto"`.
     */
    var backend: String = base.backend()
        set(value) {
            // Checked and normalized by a fresh builder, whose defaults always build, before anything
            // changes: a rejected name leaves the scope as it was.
            val normalized = EngineConfig.builder().backend(value).build().backend()
            builder.backend(normalized)
            field = normalized
        }

    /**
     * Chooses the pooling strategy and sets the pool's options in [block].
     *
     * The block starts from the pool configuration already chosen (the base configuration's, or
     * that of an earlier `pooling { }`), or from [PoolingAllocationConfig.defaults] when the
     * strategy is on-demand, so several blocks add up.
     *
     * @param block sets the pool's options
     * @throws IllegalArgumentException if a pool option's value is invalid
     */
    @OptIn(ExperimentalContracts::class)
    fun pooling(block: PoolingAllocationConfigScope.() -> Unit) {
        contract { callsInPlace(block, InvocationKind.EXACTLY_ONCE) }
        val current =
            (allocationStrategy as? AllocationStrategy.Pooling)?.config()
                ?: PoolingAllocationConfig.defaults()
        pooling(poolingAllocationConfig(current, block))
    }

    /**
     * Chooses the pooling strategy with a pool configuration built elsewhere.
     *
     * @param config the pool's sizes and limits
     */
    fun pooling(config: PoolingAllocationConfig) {
        allocationStrategy = AllocationStrategy.pooling(config)
    }

    /** Chooses the on-demand strategy: memory and tables are reserved per instance. */
    fun onDemand() {
        allocationStrategy = AllocationStrategy.onDemand()
    }

    internal fun build(): EngineConfig = builder.build()
}
