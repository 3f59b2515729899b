package dev.wasmpool.api.binding;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the engine needs to know of a module, independent of the WebAssembly runtime: its defined
 * memories and tables, its active data, and an estimate of its per-instance metadata size.
 *
 * @param name a name for messages and metrics (for example the module's file name)
 * @param memories the memories the module defines (imported ones excluded), in index order
 * @param tables the tables the module defines (imported ones excluded), in index order
 * @param memoryInits the active data segments of defined memories, in module order
 * @param instanceSize the estimated size of one instance's runtime metadata in bytes, by part (for
 *     example {@code "functions" -> 4096}); checked against {@code maxCoreInstanceSize}
 */
public record ModuleDescriptor(
    String name,
    List<MemoryType> memories,
    List<TableType> tables,
    List<MemoryInit> memoryInits,
    Map<String, Long> instanceSize) {

  /** Copies the lists and map. */
  public ModuleDescriptor {
    Objects.requireNonNull(name, "name");
    memories = List.copyOf(memories);
    tables = List.copyOf(tables);
    memoryInits = List.copyOf(memoryInits);
    instanceSize = Map.copyOf(instanceSize);
  }

  /**
   * The total estimated instance size.
   *
   * @return the sum of {@link #instanceSize()}'s parts in bytes
   */
  public long instanceSizeBytes() {
    return instanceSize.values().stream().mapToLong(Long::longValue).sum();
  }
}
