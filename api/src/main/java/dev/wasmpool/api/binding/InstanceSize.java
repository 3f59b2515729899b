package dev.wasmpool.api.binding;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The estimated per-instance metadata of a module, by part, for {@link
 * ModuleDescriptor#instanceSize()}: what one instance would need in a native runtime, in the
 * spirit of Wasmtime's {@code VMContext} layout (64-bit), checked against {@code
 * maxCoreInstanceSize}. Every binding counts its module's parts and estimates with this class, so
 * the same module gets the same estimate in every runtime.
 */
public final class InstanceSize {

  static final long HEADER_BYTES = 160;
  static final long FUNCTION_BYTES = 32;
  static final long IMPORTED_FUNCTION_BYTES = 32;
  static final long TYPE_BYTES = 4;
  static final long GLOBAL_BYTES = 16;
  static final long MEMORY_BYTES = 16;
  static final long IMPORTED_MEMORY_BYTES = 8;
  static final long TABLE_BYTES = 16;
  static final long IMPORTED_TABLE_BYTES = 16;
  static final long SEGMENT_BYTES = 8;

  private InstanceSize() {}

  /**
   * The estimate of a module with these counts; parts that are zero are left out.
   *
   * @param importedFunctions imported functions
   * @param functions defined functions
   * @param types function types
   * @param globals globals, imported and defined
   * @param importedMemories imported memories
   * @param memories defined memories
   * @param importedTables imported tables
   * @param tables defined tables
   * @param segments data and element segments
   * @return bytes by part, in a stable order, starting with {@code "header"}
   */
  public static Map<String, Long> estimate(
      int importedFunctions,
      int functions,
      int types,
      int globals,
      int importedMemories,
      int memories,
      int importedTables,
      int tables,
      long segments) {
    Map<String, Long> parts = new LinkedHashMap<>();
    parts.put("header", HEADER_BYTES);
    put(parts, "imported functions", importedFunctions * IMPORTED_FUNCTION_BYTES);
    put(parts, "functions", functions * FUNCTION_BYTES);
    put(parts, "types", types * TYPE_BYTES);
    put(parts, "globals", globals * GLOBAL_BYTES);
    put(parts, "imported memories", importedMemories * IMPORTED_MEMORY_BYTES);
    put(parts, "memories", memories * MEMORY_BYTES);
    put(parts, "imported tables", importedTables * IMPORTED_TABLE_BYTES);
    put(parts, "tables", tables * TABLE_BYTES);
    put(parts, "segments", segments * SEGMENT_BYTES);
    return parts;
  }

  private static void put(Map<String, Long> parts, String name, long bytes) {
    if (bytes > 0) {
      parts.put(name, bytes);
    }
  }
}
