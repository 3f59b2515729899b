package dev.wasmpool.api.internal.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** One slot was reset so that its next tenant sees none of the last one's bytes. */
@Name("dev.wasmpool.SlotReset")
@Label("Wasm Slot Reset")
@Category("wasmpool")
@Description("A memory or table slot was reset for reuse")
@StackTrace(false)
final class SlotResetEvent extends jdk.jfr.Event {

  @Label("Pool")
  @Description("memory or table")
  String pool = "";

  @Label("Slot")
  int slot;

  @Label("Method")
  @Description("How the bytes were reset: " + ResetMethod.NAMES)
  String method = "";

  @Label("Bytes Reset")
  @DataAmount
  long bytesReset;

  @Label("Bytes Kept Resident")
  @DataAmount
  long bytesKeptResident;
}
