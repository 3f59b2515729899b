package dev.wasmpool.dsl

/**
 * Marks the receivers of wasmpool's configuration DSL.
 *
 * Kotlin's [DslMarker] rule then keeps the scopes apart: inside `pooling { }` only the pool's
 * options can be set without a qualifier, so `memoryReservation = 1.GiB` written there is a compile
 * error instead of a silent change to the enclosing engine configuration.
 */
@DslMarker
@Target(AnnotationTarget.CLASS, AnnotationTarget.TYPE)
annotation class WasmpoolDsl
