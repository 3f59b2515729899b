package dev.wasmpool.api.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** An instance that was never closed became unreachable and had its slots reclaimed. */
@Name("dev.wasmpool.LeakReclaimed")
@Label("Wasm Instance Leak Reclaimed")
@Category("wasmpool")
@Description("An instance became unreachable without close(); its slots were reset and returned")
final class LeakReclaimedEvent extends jdk.jfr.Event {

  @Label("Module")
  String module = "";

  @Label("Module Id")
  long moduleId;
}
