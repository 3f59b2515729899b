package dev.wasmpool.samples;

import dev.wasmpool.api.PoolMetrics;

/**
 * The outcome of the request-handler sample: the same requests served twice.
 *
 * @param backend the wasmpool backend's name
 * @param pooled the run with instances from wasmpool's pool
 * @param plain the run with Chicory's default allocation
 * @param metrics the pool's metrics after the pooled run, with every instance closed
 */
record Comparison(String backend, RunResult pooled, RunResult plain, PoolMetrics metrics) {

  /**
   * Whether every response of both runs was the expected one.
   *
   * @return {@code true} if no response was wrong
   */
  boolean allResponsesRight() {
    return pooled.wrongResponses() == 0 && plain.wrongResponses() == 0;
  }
}
