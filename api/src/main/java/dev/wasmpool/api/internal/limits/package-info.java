/**
 * Bounds checked once per module ({@code ModuleValidator}, with Wasmtime's messages) and counters
 * bounded at run time ({@code CountLimit}: core instances and the accounted resources).
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.limits;
