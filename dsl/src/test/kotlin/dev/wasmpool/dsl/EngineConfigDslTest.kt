package dev.wasmpool.dsl

import dev.wasmpool.api.AllocationStrategy
import dev.wasmpool.api.EngineConfig
import dev.wasmpool.api.MemoryProtectionKeys
import dev.wasmpool.api.PoolingAllocationConfig
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.DynamicTest.dynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory

class EngineConfigDslTest {

    /** One option set to a non-default value through the DSL and through the Java builder. */
    class Case(
        val option: String,
        val dsl: EngineConfigScope.() -> Unit,
        val java: EngineConfig.Builder.() -> Unit,
    )

    companion object {
        private val SMALL_POOL = PoolingAllocationConfig.builder().totalMemories(10).maxMemorySize(1.MiB).build()

        /** Every option of [EngineConfig.Builder]; [everyBuilderOption_isInTheTable] keeps it complete. */
        val CASES =
            listOf(
                Case(
                    "allocationStrategy",
                    { allocationStrategy = AllocationStrategy.onDemand() },
                    { allocationStrategy(AllocationStrategy.onDemand()) },
                ),
                Case("memoryReservation", { memoryReservation = 8.GiB }, { memoryReservation(8L shl 30) }),
                Case("memoryGuardSize", { memoryGuardSize = 0 }, { memoryGuardSize(0) }),
                Case("guardBeforeLinearMemory", { guardBeforeLinearMemory = false }, { guardBeforeLinearMemory(false) }),
                Case("memoryInitCow", { memoryInitCow = false }, { memoryInitCow(false) }),
                Case("backend", { backend = "portable" }, { backend("portable") }),
            )

        /** The other ways a block reaches `allocationStrategy`, each against its builder call. */
        val STRATEGY_CASES =
            listOf(
                Case("onDemand()", { onDemand() }, { allocationStrategy(AllocationStrategy.onDemand()) }),
                Case(
                    "pooling(config)",
                    { pooling(SMALL_POOL) },
                    { allocationStrategy(AllocationStrategy.pooling(SMALL_POOL)) },
                ),
                Case(
                    "pooling { }",
                    { pooling { totalMemories = 10; maxMemorySize = 1.MiB } },
                    { allocationStrategy(AllocationStrategy.pooling(SMALL_POOL)) },
                ),
            )
    }

    @Test
    fun everyBuilderOption_isInTheTable() {
        assertEquals(
            DslCoverage.builderOptions(EngineConfig.Builder::class.java),
            CASES.map { it.option }.toSet(),
            "options of EngineConfig.Builder vs options this test covers",
        )
        assertEquals(CASES.size, CASES.map { it.option }.toSet().size, "an option is listed twice")
    }

    @Test
    fun everyBuilderOption_isAPropertyOfTheScope() {
        assertEquals(
            DslCoverage.builderOptions(EngineConfig.Builder::class.java),
            DslCoverage.scopeProperties(EngineConfigScope::class.java),
        )
    }

    @TestFactory
    fun eachOption_dslEqualsBuilder(): List<DynamicTest> =
        (CASES + STRATEGY_CASES).map { case ->
            dynamicTest(case.option) {
                val expected = EngineConfig.builder().apply(case.java).build()
                val actual = engineConfig(block = case.dsl)
                assertEquals(expected, actual)
                assertEquals(expected.toString(), actual.toString())
                assertNotEquals(EngineConfig.defaults(), actual, case.option)
            }
        }

    @TestFactory
    fun eachOption_readsBackWhatWasSet(): List<DynamicTest> =
        (CASES + STRATEGY_CASES).map { case ->
            dynamicTest(case.option) {
                val expected = EngineConfig.builder().apply(case.java).build()
                engineConfig {
                    case.dsl(this)
                    assertEquals(expected, snapshot(this))
                }
            }
        }

    @Test
    fun issueExample_equalsTheBuilderChain() {
        val config = engineConfig {
            memoryReservation = 4.GiB
            memoryGuardSize = 32.MiB
            backend = "linux"
            pooling {
                totalMemories = 100
                maxMemorySize = 128.MiB
                memoryProtectionKeys = MemoryProtectionKeys.AUTO
            }
        }
        val expected =
            EngineConfig.builder()
                .memoryReservation(4L shl 30)
                .memoryGuardSize(32L shl 20)
                .backend("linux")
                .allocationStrategy(
                    AllocationStrategy.pooling(
                        PoolingAllocationConfig.builder()
                            .totalMemories(100)
                            .maxMemorySize(128L shl 20)
                            .memoryProtectionKeys(MemoryProtectionKeys.AUTO)
                            .build()))
                .build()
        assertEquals(expected, config)
    }

    @Test
    fun emptyBlock_givesDefaults() {
        assertEquals(EngineConfig.defaults(), engineConfig {})
    }

    @Test
    fun properties_startAtDefaults() {
        engineConfig {
            assertEquals(EngineConfig.defaults(), snapshot(this))
            assertEquals(32767.pages, memoryReservation)
            assertEquals(64.KiB, memoryGuardSize)
            assertEquals(EngineConfig.AUTO_BACKEND, backend)
        }
    }

    @Test
    fun base_isTheStartingPoint_andCopyLeavesItAlone() {
        val base = engineConfig { memoryGuardSize = 2.MiB; backend = "portable" }
        val derived = base.copy {
            assertEquals("portable", backend)
            memoryGuardSize *= 2
        }
        assertEquals(base.toBuilder().memoryGuardSize(4.MiB).build(), derived)
        assertEquals(2.MiB, base.memoryGuardSize())
        assertEquals(derived, engineConfig(base) { memoryGuardSize = 4.MiB })
    }

    @Test
    fun poolingBlocks_addUp() {
        val config = engineConfig {
            pooling { totalMemories = 10 }
            pooling { maxMemorySize = 1.MiB }
        }
        assertEquals(AllocationStrategy.pooling(SMALL_POOL), config.allocationStrategy())
    }

    @Test
    fun poolingBlock_startsFromTheBasePool() {
        val base = engineConfig { pooling(SMALL_POOL) }
        val derived = base.copy { pooling { totalTables = 3 } }
        assertEquals(
            AllocationStrategy.pooling(SMALL_POOL.toBuilder().totalTables(3).build()),
            derived.allocationStrategy(),
        )
    }

    @Test
    fun poolingBlock_afterOnDemand_startsFromDefaults() {
        val config = engineConfig {
            pooling { totalMemories = 10 }
            onDemand()
            pooling { totalTables = 3 }
        }
        assertEquals(
            AllocationStrategy.pooling(PoolingAllocationConfig.builder().totalTables(3).build()),
            config.allocationStrategy(),
        )
    }

    @Test
    fun backend_readsBackAsTheBuilderStoresIt() {
        engineConfig {
            backend = "Linux"
            assertEquals("linux", backend)
        }
        assertEquals(EngineConfig.builder().backend("Linux").build(), engineConfig { backend = "LINUX" })
    }

    @Test
    fun invalidBackend_throwsTheBuildersMessage_andKeepsTheOldValue() {
        val javaError = assertThrows(IllegalArgumentException::class.java) { EngineConfig.builder().backend(" linux").build() }
        engineConfig {
            backend = "portable"
            val dslError = assertThrows(IllegalArgumentException::class.java) { backend = " linux" }
            assertEquals(javaError.message, dslError.message)
            assertTrue(dslError.message!!.startsWith("backend must be a provider name")) { dslError.message }
            assertEquals("portable", backend)
        }.also { assertEquals("portable", it.backend(), "the rejected name never reached the builder") }
    }

    @Test
    fun negativeReservation_throwsTheBuildersMessage() {
        val error = assertThrows(IllegalArgumentException::class.java) { engineConfig { memoryReservation = -4096 } }
        assertEquals("memoryReservation must not be negative (was -4096 bytes)", error.message)
    }

    @Test
    fun maxMemorySizeAboveReservation_failsAfterTheBlock_withTheBuildersMessage() {
        val error = assertThrows(IllegalArgumentException::class.java) {
            engineConfig {
                memoryReservation = 1.GiB
                pooling { maxMemorySize = 2.GiB }
                // Allowed until the block ends: the reservation may still be raised.
                assertEquals(2.GiB, (allocationStrategy as AllocationStrategy.Pooling).config().maxMemorySize())
            }
        }
        assertEquals(
            "maximum memory size of 2147483648 bytes (2 GiB) exceeds the configured memory reservation of 1073741824 bytes (1 GiB)",
            error.message,
        )
        // Raising the reservation later in the same block fixes it.
        val fixed = engineConfig {
            memoryReservation = 1.GiB
            pooling { maxMemorySize = 2.GiB }
            memoryReservation = 2.GiB
        }
        assertEquals(2.GiB, fixed.memoryReservation())
    }

    @Test
    fun scopes_carryTheDslMarker() {
        // The marker is what stops `memoryReservation = …` inside `pooling { }` from compiling.
        assertTrue(EngineConfigScope::class.java.isAnnotationPresent(WasmpoolDsl::class.java))
        assertTrue(PoolingAllocationConfigScope::class.java.isAnnotationPresent(WasmpoolDsl::class.java))
    }

    /** What the scope holds now, read through its properties only. */
    private fun snapshot(s: EngineConfigScope): EngineConfig =
        EngineConfig.builder()
            .allocationStrategy(s.allocationStrategy)
            .memoryReservation(s.memoryReservation)
            .memoryGuardSize(s.memoryGuardSize)
            .guardBeforeLinearMemory(s.guardBeforeLinearMemory)
            .memoryInitCow(s.memoryInitCow)
            .backend(s.backend)
            .build()
}
