/**
 * A WebAssembly binary writer and a JSON reader shared by wasmpool's tests, benchmarks and samples.
 */
package dev.wasmpool.testkit;
