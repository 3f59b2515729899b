package dev.wasmpool.api.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A limit refused an instance or a permit; the stack trace shows who asked. */
@Name("dev.wasmpool.PoolExhausted")
@Label("Wasm Pool Exhausted")
@Category("wasmpool")
@Description("A pool had no free slot (PoolExhaustedException)")
final class PoolExhaustedEvent extends jdk.jfr.Event {

  @Label("Kind")
  @Description("What ran out, as the exception says: core instances, memory stripe N, tables, ...")
  String kind = "";

  @Label("Limit")
  long limit;

  @Label("Module")
  @Description("The module being instantiated; empty for a resource permit")
  String module = "";
}
