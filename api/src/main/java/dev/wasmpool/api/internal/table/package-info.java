/**
 * The table pool: fixed slots of {@code tableElements} 8-byte elements, handed out zeroed and
 * without affinity.
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.table;
