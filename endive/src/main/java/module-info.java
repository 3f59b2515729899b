/**
 * Endive binding: Endive ({@code run.endive}) instances whose linear memories and tables come from
 * a wasmpool engine's pools.
 */
module dev.wasmpool.endive {
  requires transitive dev.wasmpool.api;
  requires transitive run.endive.runtime;
  requires transitive run.endive.wasm;
  requires static org.checkerframework.checker.qual;

  exports dev.wasmpool.endive;
}
