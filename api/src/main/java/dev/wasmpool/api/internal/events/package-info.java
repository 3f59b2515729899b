/**
 * JDK Flight Recorder events of the engine and its pools, under the category {@code wasmpool}.
 *
 * <p>Each event is a class of its own; {@link dev.wasmpool.api.internal.events.PoolEvents} is the
 * one place that emits them, so callers need not know JFR. Disabled events cost a check of {@code
 * isEnabled()} (JFR's own flag, folded by the JIT); nothing is computed for them.
 *
 * <table>
 *   <caption>Events</caption>
 *   <tr><th>name</th><th>when</th><th>emitted by</th></tr>
 *   <tr><td>{@code dev.wasmpool.Instantiate}</td><td>an instance's slots were taken</td>
 *       <td>the engine's allocate, timed from its start</td></tr>
 *   <tr><td>{@code dev.wasmpool.Close}</td><td>a closed instance's slots were handed back</td>
 *       <td>the engine's release, timed</td></tr>
 *   <tr><td>{@code dev.wasmpool.SlotReset}</td><td>one slot was reset for reuse</td>
 *       <td>the pools</td></tr>
 *   <tr><td>{@code dev.wasmpool.PoolExhausted}</td><td>a limit refused an instance or permit</td>
 *       <td>the engine</td></tr>
 *   <tr><td>{@code dev.wasmpool.ModulePurge}</td><td>a closed module's affine slots were purged</td>
 *       <td>the engine's module close, timed</td></tr>
 *   <tr><td>{@code dev.wasmpool.ImageCreate}</td><td>a module's memory image was built</td>
 *       <td>the module's image holder</td></tr>
 * </table>
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.events;
