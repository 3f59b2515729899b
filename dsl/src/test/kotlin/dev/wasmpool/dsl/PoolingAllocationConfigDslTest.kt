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

class PoolingAllocationConfigDslTest {

    /** One option set to a non-default value through the DSL and through the Java builder. */
    class Case(
        val option: String,
        val dsl: PoolingAllocationConfigScope.() -> Unit,
        val java: PoolingAllocationConfig.Builder.() -> Unit,
    )

    companion object {
        /** Every option of [PoolingAllocationConfig.Builder]; [everyBuilderOption_isInTheTable] keeps it complete. */
        val CASES =
            listOf(
                Case("maxUnusedWarmSlots", { maxUnusedWarmSlots = 7 }, { maxUnusedWarmSlots(7) }),
                Case("decommitBatchSize", { decommitBatchSize = 16 }, { decommitBatchSize(16) }),
                Case("asyncStackKeepResident", { asyncStackKeepResident = 4.KiB }, { asyncStackKeepResident(4096) }),
                Case("linearMemoryKeepResident", { linearMemoryKeepResident = 64.KiB }, { linearMemoryKeepResident(65536) }),
                Case("tableKeepResident", { tableKeepResident = 8.KiB }, { tableKeepResident(8192) }),
                Case("totalComponentInstances", { totalComponentInstances = 3 }, { totalComponentInstances(3) }),
                Case("maxComponentInstanceSize", { maxComponentInstanceSize = 2.MiB }, { maxComponentInstanceSize(2L shl 20) }),
                Case("totalMemories", { totalMemories = 100 }, { totalMemories(100) }),
                Case("totalTables", { totalTables = 50 }, { totalTables(50) }),
                Case("totalStacks", { totalStacks = 0 }, { totalStacks(0) }),
                Case("totalCoreInstances", { totalCoreInstances = 200 }, { totalCoreInstances(200) }),
                Case("maxCoreInstanceSize", { maxCoreInstanceSize = 512.KiB }, { maxCoreInstanceSize(512L shl 10) }),
                Case("maxTablesPerModule", { maxTablesPerModule = 2 }, { maxTablesPerModule(2) }),
                Case("tableElements", { tableElements = 1000 }, { tableElements(1000) }),
                Case("maxMemoriesPerModule", { maxMemoriesPerModule = 0 }, { maxMemoriesPerModule(0) }),
                Case("maxMemorySize", { maxMemorySize = 17.pages }, { maxMemorySize(17L * 65536) }),
                Case(
                    "memoryProtectionKeys",
                    { memoryProtectionKeys = MemoryProtectionKeys.AUTO },
                    { memoryProtectionKeys(MemoryProtectionKeys.AUTO) },
                ),
                Case("maxMemoryProtectionKeys", { maxMemoryProtectionKeys = 4 }, { maxMemoryProtectionKeys(4) }),
                Case("totalGcHeaps", { totalGcHeaps = 9 }, { totalGcHeaps(9) }),
                Case(
                    "acquireTimeout",
                    { acquireTimeout = java.time.Duration.ofMillis(250) },
                    { acquireTimeout(java.time.Duration.ofMillis(250)) },
                ),
                Case(
                    "warmSlotIdleTimeout",
                    { warmSlotIdleTimeout = java.time.Duration.ofSeconds(30) },
                    { warmSlotIdleTimeout(java.time.Duration.ofSeconds(30)) },
                ),
                Case(
                    "leakDetectionThreshold",
                    { leakDetectionThreshold = java.time.Duration.ofSeconds(2) },
                    { leakDetectionThreshold(java.time.Duration.ofSeconds(2)) },
                ),
            )

        fun javaBuilt(case: Case): PoolingAllocationConfig =
            PoolingAllocationConfig.builder().apply(case.java).build()
    }

    @Test
    fun everyBuilderOption_isInTheTable() {
        assertEquals(
            DslCoverage.builderOptions(PoolingAllocationConfig.Builder::class.java),
            CASES.map { it.option }.toSet(),
            "options of PoolingAllocationConfig.Builder vs options this test covers",
        )
        assertEquals(CASES.size, CASES.map { it.option }.toSet().size, "an option is listed twice")
    }

    @Test
    fun everyBuilderOption_isAPropertyOfTheScope() {
        assertEquals(
            DslCoverage.builderOptions(PoolingAllocationConfig.Builder::class.java),
            DslCoverage.scopeProperties(PoolingAllocationConfigScope::class.java),
        )
    }

    @TestFactory
    fun eachOption_dslEqualsBuilder(): List<DynamicTest> =
        CASES.map { case ->
            dynamicTest(case.option) {
                val expected = javaBuilt(case)
                val actual = poolingAllocationConfig(block = case.dsl)
                assertEquals(expected, actual)
                assertEquals(expected.toString(), actual.toString())
                // The case really changes its option, so equality above is not equality of defaults.
                assertNotEquals(PoolingAllocationConfig.defaults(), actual, case.option)
                assertEquals(case.option, actual.toString().substringAfter('{').substringBefore('='))
            }
        }

    @TestFactory
    fun eachOption_insideEngineConfigPooling_dslEqualsBuilder(): List<DynamicTest> =
        CASES.map { case ->
            dynamicTest(case.option) {
                val expected =
                    EngineConfig.builder().allocationStrategy(AllocationStrategy.pooling(javaBuilt(case))).build()
                assertEquals(expected, engineConfig { pooling(case.dsl) })
            }
        }

    @TestFactory
    fun eachOption_readsBackWhatWasSet(): List<DynamicTest> =
        CASES.map { case ->
            dynamicTest(case.option) {
                val expected = javaBuilt(case)
                poolingAllocationConfig {
                    case.dsl(this)
                    assertEquals(expected, snapshot(this))
                }
            }
        }

    @Test
    fun allOptionsAtOnce_dslEqualsBuilder() {
        val expected = PoolingAllocationConfig.builder().apply { CASES.forEach { it.java(this) } }.build()
        val actual = poolingAllocationConfig { CASES.forEach { it.dsl(this) } }
        assertEquals(expected, actual)
        for (case in CASES) {
            assertTrue(actual.toString().contains(case.option + "=")) { "${case.option} missing from $actual" }
        }
    }

    @Test
    fun emptyBlock_givesDefaults() {
        assertEquals(PoolingAllocationConfig.defaults(), poolingAllocationConfig {})
    }

    @Test
    fun properties_startAtDefaults() {
        poolingAllocationConfig {
            assertEquals(PoolingAllocationConfig.defaults(), snapshot(this))
            assertEquals(1000, totalMemories)
            assertEquals(32767.pages, maxMemorySize)
            assertEquals(MemoryProtectionKeys.DISABLE, memoryProtectionKeys)
        }
    }

    @Test
    fun base_isTheStartingPoint() {
        val base = PoolingAllocationConfig.builder().totalMemories(10).maxMemorySize(1.MiB).build()
        val derived = poolingAllocationConfig(base) {
            assertEquals(10, totalMemories)
            totalMemories *= 3
        }
        assertEquals(base.toBuilder().totalMemories(30).build(), derived)
        assertEquals(10, base.totalMemories())
    }

    @Test
    fun copy_changesOnlyWhatTheBlockSets() {
        val base = PoolingAllocationConfig.builder().totalTables(5).build()
        assertEquals(base.toBuilder().tableElements(64).build(), base.copy { tableElements = 64 })
        assertEquals(PoolingAllocationConfig.builder().totalTables(5).build(), base)
    }

    @Test
    fun invalidValue_throwsTheBuildersMessage_whenTheBlockHasRun() {
        val javaError = assertThrows(IllegalArgumentException::class.java) {
            PoolingAllocationConfig.builder().totalMemories(-1).build()
        }
        val dslError = assertThrows(IllegalArgumentException::class.java) {
            poolingAllocationConfig {
                totalMemories = -1
                assertEquals(-1, totalMemories, "stored as given until the block has run")
            }
        }
        assertEquals("totalMemories must not be negative (was -1)", dslError.message)
        assertEquals(javaError.message, dslError.message)
    }

    @Test
    fun invalidBytes_throwsTheBuildersMessage() {
        val error = assertThrows(IllegalArgumentException::class.java) {
            poolingAllocationConfig { maxMemorySize = -1 }
        }
        assertEquals("maxMemorySize must not be negative (was -1 bytes)", error.message)
    }

    @Test
    fun zeroProtectionKeys_throwsTheBuildersMessage() {
        val error = assertThrows(IllegalArgumentException::class.java) {
            poolingAllocationConfig { maxMemoryProtectionKeys = 0 }
        }
        assertEquals("maxMemoryProtectionKeys must be positive (was 0)", error.message)
    }

    @Test
    fun crossOptionRule_isCheckedAfterTheBlock() {
        val javaError = assertThrows(IllegalArgumentException::class.java) {
            PoolingAllocationConfig.builder().totalTables(Int.MAX_VALUE).tableElements(Int.MAX_VALUE).build()
        }
        val dslError = assertThrows(IllegalArgumentException::class.java) {
            poolingAllocationConfig {
                totalTables = Int.MAX_VALUE
                tableElements = Int.MAX_VALUE
                // Both assignments succeed: the rule relates two options and waits for build().
                assertEquals(Int.MAX_VALUE, tableElements)
            }
        }
        assertEquals(javaError.message, dslError.message)
    }

    /** What the scope holds now, read through its properties only. */
    private fun snapshot(s: PoolingAllocationConfigScope): PoolingAllocationConfig =
        PoolingAllocationConfig.builder()
            .maxUnusedWarmSlots(s.maxUnusedWarmSlots)
            .decommitBatchSize(s.decommitBatchSize)
            .asyncStackKeepResident(s.asyncStackKeepResident)
            .linearMemoryKeepResident(s.linearMemoryKeepResident)
            .tableKeepResident(s.tableKeepResident)
            .totalComponentInstances(s.totalComponentInstances)
            .maxComponentInstanceSize(s.maxComponentInstanceSize)
            .totalMemories(s.totalMemories)
            .totalTables(s.totalTables)
            .totalStacks(s.totalStacks)
            .totalCoreInstances(s.totalCoreInstances)
            .maxCoreInstanceSize(s.maxCoreInstanceSize)
            .maxTablesPerModule(s.maxTablesPerModule)
            .tableElements(s.tableElements)
            .maxMemoriesPerModule(s.maxMemoriesPerModule)
            .maxMemorySize(s.maxMemorySize)
            .memoryProtectionKeys(s.memoryProtectionKeys)
            .maxMemoryProtectionKeys(s.maxMemoryProtectionKeys)
            .totalGcHeaps(s.totalGcHeaps)
            .acquireTimeout(s.acquireTimeout)
            .warmSlotIdleTimeout(s.warmSlotIdleTimeout)
            .leakDetectionThreshold(s.leakDetectionThreshold)
            .build()
}
