package dev.wasmpool.api.internal.events;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** A module's memory image was built, on the first instantiation that needed it. */
@Name("dev.wasmpool.ImageCreate")
@Label("Wasm Memory Image Create")
@Category("wasmpool")
@Description("A module's constant memory contents were made into an image (Linux: a sealed memfd)")
@StackTrace(false)
final class ImageCreateEvent extends jdk.jfr.Event {

  @Label("Module")
  String module = "";

  @Label("Module Id")
  long moduleId;

  @Label("Offset")
  @Description("Where the image starts in linear memory")
  @DataAmount
  long offset;

  @Label("Size")
  @DataAmount
  long bytes;
}
