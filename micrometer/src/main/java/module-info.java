/**
 * Optional Micrometer support for wasmpool: {@link dev.wasmpool.micrometer.PoolMetricsBinder}
 * registers an engine's {@link dev.wasmpool.api.PoolMetrics} with a {@code MeterRegistry}.
 */
module dev.wasmpool.micrometer {
  requires transitive dev.wasmpool.api;
  requires transitive micrometer.core;
  // Transitive: see dev.wasmpool.api (exported signatures carry Checker type annotations).
  requires transitive org.checkerframework.checker.qual;

  exports dev.wasmpool.micrometer;
}
