/**
 * Memory protection keys: which keys a pool stripes with ({@code KeySelection}) and the PKRU
 * arithmetic a runtime uses to enter and leave a store's stripe ({@code ProtectionMask}).
 *
 * <p>Keys are only ever asked of a backend that reports them: on machines without PKU the
 * {@code pkey_*} functions must not run.
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.mpk;
