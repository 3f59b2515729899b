/**
 * Micrometer meters for an engine's pools; see {@link dev.wasmpool.micrometer.PoolMetricsBinder}.
 */
package dev.wasmpool.micrometer;
