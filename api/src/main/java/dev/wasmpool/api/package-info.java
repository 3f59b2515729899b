/**
 * wasmpool's public API: engine and pooling configuration, the engine, its errors and metrics.
 */
package dev.wasmpool.api;
