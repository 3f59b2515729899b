package dev.wasmpool.api.testing;

import dev.wasmpool.api.binding.MemoryInit;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.binding.TableType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Small module descriptors for engine tests. */
public final class Modules {

  /** A WebAssembly page. */
  public static final long PAGE = MemoryType.PAGE_SIZE;

  private Modules() {}

  /**
   * A memory type.
   *
   * @param min minimum pages
   * @param max maximum pages, or a negative number for none
   * @return the type
   */
  public static MemoryType memory(long min, long max) {
    return new MemoryType(min, max < 0 ? OptionalLong.empty() : OptionalLong.of(max), false);
  }

  /**
   * A table type.
   *
   * @param min minimum elements
   * @param max maximum elements, or a negative number for none
   * @return the type
   */
  public static TableType table(long min, long max) {
    return new TableType(min, max < 0 ? OptionalLong.empty() : OptionalLong.of(max));
  }

  /**
   * An active data segment of memory 0 at a constant offset.
   *
   * @param offset the offset
   * @param text its bytes, UTF-8
   * @return the segment
   */
  public static MemoryInit data(long offset, String text) {
    return new MemoryInit(0, OptionalLong.of(offset), text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A module with one memory and no table.
   *
   * @param name the name
   * @param min minimum pages
   * @param max maximum pages, negative for none
   * @param inits data segments
   * @return the descriptor
   */
  public static ModuleDescriptor withMemory(String name, long min, long max, MemoryInit... inits) {
    return new ModuleDescriptor(name, List.of(memory(min, max)), List.of(), List.of(inits), Map.of());
  }

  /**
   * A module with one memory and one table.
   *
   * @param name the name
   * @param min minimum pages
   * @param tableMin minimum table elements
   * @param inits data segments
   * @return the descriptor
   */
  public static ModuleDescriptor withMemoryAndTable(
      String name, long min, long tableMin, MemoryInit... inits) {
    return new ModuleDescriptor(
        name, List.of(memory(min, -1)), List.of(table(tableMin, -1)), List.of(inits), Map.of());
  }

  /**
   * A module with nothing pooled but its instance.
   *
   * @param name the name
   * @return the descriptor
   */
  public static ModuleDescriptor empty(String name) {
    return new ModuleDescriptor(name, List.of(), List.of(), List.of(), Map.of());
  }
}
