package dev.wasmpool.dsl

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

class SizesTest {
    @Test
    fun units_areBinaryMultiples() {
        assertEquals(65536L, 64.KiB)
        assertEquals(33554432L, 32.MiB)
        assertEquals(4294967296L, 4.GiB)
        assertEquals(1L shl 40, 1.TiB)
        assertEquals(17L * 65536L, 17.pages)
    }

    @Test
    fun units_doNotOverflowInt() {
        assertEquals(3L * 1024 * 1024 * 1024 * 1024, 3.TiB)
    }
}
