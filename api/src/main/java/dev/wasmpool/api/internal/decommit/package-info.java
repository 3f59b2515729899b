/**
 * Batching of slot resets ({@code decommitBatchSize}): closed instances' slots wait, reset and
 * unavailable, until a batch is flushed; pools flush before they report exhaustion.
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.decommit;
