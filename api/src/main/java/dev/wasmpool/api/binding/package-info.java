/**
 * What a runtime binding (such as {@code dev.wasmpool.chicory} or {@code dev.wasmpool.endive})
 * needs from wasmpool, apart from the user-facing configuration in {@code dev.wasmpool.api}: the
 * module description a binding registers ({@link dev.wasmpool.api.binding.ModuleDescriptor}), the
 * pooled resources it gets back ({@link dev.wasmpool.api.binding.PooledModule}, {@link
 * dev.wasmpool.api.binding.InstanceAllocation}, {@link dev.wasmpool.api.binding.LinearMemory},
 * {@link dev.wasmpool.api.binding.TableSlot}), the resources it accounts for ({@link
 * dev.wasmpool.api.binding.AccountedResource}), and the runtime-neutral parts of a pooled memory,
 * written once for every binding.
 *
 * <p>Users of a binding do not need this package.
 */
package dev.wasmpool.api.binding;
