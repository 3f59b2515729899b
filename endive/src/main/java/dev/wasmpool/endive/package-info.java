/**
 * The Endive binding: Endive ({@code run.endive:runtime}) instances whose linear memories and
 * tables live in a wasmpool engine's pools.
 *
 * <p>Load a module once with {@link dev.wasmpool.endive.PooledEndiveModule#load}, then take {@link
 * dev.wasmpool.endive.PooledResources} for each instance and pass its factories to Endive's {@code
 * Instance.Builder} (or to a library's {@code withMemoryFactory} hook). The binding is a thin
 * adapter over {@code dev.wasmpool.api.binding}, which it shares with the Chicory binding.
 */
package dev.wasmpool.endive;
