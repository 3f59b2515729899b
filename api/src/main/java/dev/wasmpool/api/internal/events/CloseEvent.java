package dev.wasmpool.api.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A closed instance's slots were handed back; its duration covers their resets when inline. */
@Name("dev.wasmpool.Close")
@Label("Wasm Instance Close")
@Category("wasmpool")
@Description("A closed instance's slots were handed back to the pools (reset inline or queued)")
@StackTrace(false)
final class CloseEvent extends jdk.jfr.Event {

  @Label("Module")
  String module = "";

  @Label("Module Id")
  long moduleId;

  @Label("Memories")
  int memories;

  @Label("Tables")
  int tables;

  @Label("Failed")
  @Description("Whether a slot's reset failed (the slot is erased before reuse)")
  boolean failed;
}
