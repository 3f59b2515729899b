package consumer

import com.dylibso.chicory.wasm.Parser
import dev.wasmpool.chicory.PooledWasmModule
import dev.wasmpool.dsl.MiB
import dev.wasmpool.dsl.engineConfig
import dev.wasmpool.api.Engine

/** A module with one page of memory exporting `answer() -> 42`, written out byte by byte. */
private val ANSWER: ByteArray =
    intArrayOf(
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
        0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type: () -> i32
        0x03, 0x02, 0x01, 0x00, // function 0 has type 0
        0x05, 0x03, 0x01, 0x00, 0x01, // memory: min 1 page
        0x07, 0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x00, 0x00, // export "answer"
        0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, // code: i32.const 42
    ).map { it.toByte() }.toByteArray()

fun main() {
    // Inferred types below (the config, the engine, the module, the instance) carry wasmpool's
    // Checker type annotations: Kotlin must see checker-qual to accept them.
    val config = engineConfig {
        memoryReservation = 1.MiB
        memoryGuardSize = 0L
        pooling {
            totalCoreInstances = 2
            totalMemories = 2
            totalTables = 2
            maxMemorySize = 1.MiB
        }
    }
    Engine.create(config).use { engine ->
        val metrics = engine.metrics()
        PooledWasmModule.builder(engine, Parser.parse(ANSWER)).withName("answer").build().use { module ->
            val answer = module.instantiate().use { it.export("answer").apply()[0] }
            check(answer == 42L) { "answer() returned $answer" }
            println("kotlin consumer: backend ${engine.backendName()}, answer() = $answer, live before: ${metrics.coreInstances()}")
        }
    }
}
