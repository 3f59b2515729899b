package dev.wasmpool.api.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A closed module's affine slots were purged: its images unmapped from them. */
@Name("dev.wasmpool.ModulePurge")
@Label("Wasm Module Purge")
@Category("wasmpool")
@Description("A module was closed: the slots with affinity to it were purged and its images released")
@StackTrace(false)
final class ModulePurgeEvent extends jdk.jfr.Event {

  @Label("Module")
  String module = "";

  @Label("Module Id")
  long moduleId;
}
