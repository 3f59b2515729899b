package dev.wasmpool.api.internal.events;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** An instance's slots were taken: its duration is the engine's allocate, slot search included. */
@Name("dev.wasmpool.Instantiate")
@Label("Wasm Instantiate")
@Category("wasmpool")
@Description("An instance's core instance, memory and table slots were taken from the pools")
@StackTrace(false)
final class InstantiateEvent extends jdk.jfr.Event {

  @Label("Module")
  String module = "";

  @Label("Module Id")
  @Description("The engine's number for the registered module: two modules may share a name")
  long moduleId;

  @Label("Memories")
  int memories;

  @Label("Tables")
  int tables;

  @Label("Memory Slot")
  @Description("The pool slot of the first memory; -1 for none or an on-demand memory")
  int memorySlot;

  @Label("Slot Kind")
  @Description(
      "How the first memory's slot was found: affine (last used by this module), warm (used by"
          + " another module), cold (never used), pooled (taken from the pool, kind not reported),"
          + " on-demand, or none (the module defines no memory)")
  String slotKind = "";
}
