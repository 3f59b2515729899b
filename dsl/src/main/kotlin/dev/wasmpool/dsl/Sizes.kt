package dev.wasmpool.dsl

/** One kibibyte (1024 bytes) per unit: `64.KiB == 65536L`. */
val Int.KiB: Long
    get() = this.toLong() * 1024L

/** One mebibyte per unit: `32.MiB == 33554432L`. */
val Int.MiB: Long
    get() = this.toLong() * 1024L * 1024L

/** One gibibyte per unit: `4.GiB == 4294967296L`. */
val Int.GiB: Long
    get() = this.toLong() * 1024L * 1024L * 1024L

/** One tebibyte per unit. */
val Int.TiB: Long
    get() = this.toLong() * 1024L * 1024L * 1024L * 1024L

/** WebAssembly pages of 64 KiB: `17.pages == 1114112L`. */
val Int.pages: Long
    get() = this.toLong() * 65536L
