@file:JvmName("DslSample")

package dev.wasmpool.samples

import com.dylibso.chicory.wasm.Parser
import dev.wasmpool.api.Engine
import dev.wasmpool.api.EngineConfig
import dev.wasmpool.api.MemoryProtectionKeys
import dev.wasmpool.api.PoolMetrics
import dev.wasmpool.chicory.PooledWasmModule
import dev.wasmpool.dsl.KiB
import dev.wasmpool.dsl.MiB
import dev.wasmpool.dsl.engineConfig
import java.io.PrintStream

/**
 * The engine of the Kotlin sample, configured with the DSL: a small pool for a handful of tenants.
 *
 * Every option left out keeps its default; `toString()` of the result lists the ones set.
 */
val sampleConfig: EngineConfig = engineConfig {
    memoryReservation = 8.MiB // no tenant memory grows beyond 8 MiB, so reserve no more per slot
    memoryGuardSize = 2.MiB
    pooling {
        totalCoreInstances = 16
        totalMemories = 16
        totalTables = 16
        maxMemorySize = 8.MiB
        maxUnusedWarmSlots = 4
        linearMemoryKeepResident = 64.KiB
        memoryProtectionKeys = MemoryProtectionKeys.AUTO // used only where the CPU has them
    }
}

/**
 * Serves a few requests for each of [tenants] tenants from a pool configured by [sampleConfig],
 * checks each answer and prints what happened.
 *
 * @param tenants how many tenant modules to load
 * @param requestsPerTenant requests served per tenant, one fresh instance each
 * @param out where to print
 * @return the pool's metrics after every instance closed
 * @throws IllegalStateException if a response is wrong
 */
fun runDslSample(tenants: Int = 4, requestsPerTenant: Int = 3, out: PrintStream = System.out): PoolMetrics {
    out.println("engine configured with the Kotlin DSL: $sampleConfig")
    Engine.create(sampleConfig).use { engine ->
        out.println("backend: ${engine.backendName()}")
        for (index in 0 until tenants) {
            val tenant = Tenant.of(index)
            PooledWasmModule.builder(engine, Parser.parse(tenant.wasm())).withName(tenant.name()).build().use { module ->
                repeat(requestsPerTenant) { request ->
                    val response = module.instantiate().use { it.export("handle").apply(request.toLong())[0].toInt() }
                    check(response == tenant.expected(request)) {
                        "${tenant.name()} answered $response to request $request, expected ${tenant.expected(request)}"
                    }
                }
                out.println("  ${tenant.name()}: ${tenant.pages()} pages, $requestsPerTenant requests answered correctly")
            }
        }
        val metrics = engine.metrics()
        out.println(
            "pool: ${metrics.coreInstances()} live, ${metrics.unusedWarmMemories()} warm memory slots, " +
                "${metrics.unusedMemoryBytesResident() / 1.KiB} KiB kept resident in them",
        )
        return metrics
    }
}

/** Runs [runDslSample] with its defaults. */
fun main() {
    runDslSample()
}
