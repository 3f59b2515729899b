/**
 * What a runtime binding (such as {@code dev.wasmpool.chicory} or {@code dev.wasmpool.endive})
 * needs from wasmpool beyond the user-facing configuration: the runtime-neutral parts of a pooled
 * memory, written once and adapted by each binding.
 *
 * <p>Users of a binding do not need this package.
 */
package dev.wasmpool.api.binding;
