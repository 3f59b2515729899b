package dev.wasmpool.api.internal.limits;

import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.TableType;
import dev.wasmpool.spi.support.ByteCount;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Checks a module against the pooling limits once, at registration, with the texts of Wasmtime's
 * pooling allocator: memories (count per module and in total, minimum size, shared), then tables (count per module and in
 * total, minimum elements), then the instance metadata size.
 */
public final class ModuleValidator {

  /** The context of every memory error. */
  public static final String MEMORY_CONTEXT =
      "module memory does not fit in pooling allocator requirements";

  private final PoolingAllocationConfig config;

  /**
   * A validator for one pool configuration.
   *
   * @param config the pool's limits
   */
  public ModuleValidator(PoolingAllocationConfig config) {
    this.config = config;
  }

  /**
   * Checks a module.
   *
   * @param module the module's descriptor
   * @throws ModuleValidationException naming the first limit the module exceeds
   */
  public void validate(ModuleDescriptor module) {
    validateMemories(module.memories());
    validateTables(module.tables());
    validateInstanceSize(module);
  }

  private void validateMemories(List<MemoryType> memories) {
    checkMemoryCount(memories.size(), "per-instance limit", config.maxMemoriesPerModule());
    // Without this a module loads whose every instantiation fails on an exhausted pool forever.
    checkMemoryCount(memories.size(), "total memories limit", config.totalMemories());
    for (int i = 0; i < memories.size(); i++) {
      MemoryType memory = memories.get(i);
      String problem = memoryProblem(memory);
      if (problem != null) {
        throw new ModuleValidationException(
            List.of(
                MEMORY_CONTEXT,
                "memory index " + i + " is unsupported in this pooling allocator configuration",
                problem));
      }
    }
  }

  private static void checkMemoryCount(int count, String limitName, long limit) {
    if (count > limit) {
      throw new ModuleValidationException(
          List.of(
              MEMORY_CONTEXT,
              "defined memories count of " + count + " exceeds the " + limitName + " of " + limit));
    }
  }

  private @Nullable String memoryProblem(MemoryType memory) {
    // Minimum pages are at most 2^48 for a valid memory64; the product cannot overflow beyond
    // that, and anything larger than the limit is rejected either way.
    long minBytes =
        memory.minimumPages() > Long.MAX_VALUE / MemoryType.PAGE_SIZE
            ? Long.MAX_VALUE
            : memory.minimumPages() * MemoryType.PAGE_SIZE;
    if (minBytes > config.maxMemorySize()) {
      return "memory has a minimum byte size of "
          + ByteCount.of(minBytes)
          + " which exceeds the maxMemorySize limit of "
          + ByteCount.of(config.maxMemorySize());
    }
    if (memory.shared()) {
      return "memory is shared which is not supported in the pooling allocator";
    }
    return null;
  }

  private void validateTables(List<TableType> tables) {
    checkTableCount(tables.size(), "per-instance limit", config.maxTablesPerModule());
    checkTableCount(tables.size(), "total tables limit", config.totalTables());
    for (int i = 0; i < tables.size(); i++) {
      long min = tables.get(i).minimumElements();
      if (min > config.tableElements()) {
        throw new ModuleValidationException(
            "table index "
                + i
                + " has a minimum element size of "
                + min
                + " which exceeds the limit of "
                + config.tableElements());
      }
    }
  }

  private static void checkTableCount(int count, String limitName, long limit) {
    if (count > limit) {
      throw new ModuleValidationException(
          "defined tables count of " + count + " exceeds the " + limitName + " of " + limit);
    }
  }

  private void validateInstanceSize(ModuleDescriptor module) {
    long total = module.instanceSizeBytes();
    long max = config.maxCoreInstanceSize();
    if (total <= max) {
      return;
    }
    StringBuilder message =
        new StringBuilder()
            .append("instance allocation for this module requires ")
            .append(ByteCount.of(total))
            .append(" which exceeds the configured maximum of ")
            .append(ByteCount.of(max))
            .append("; breakdown of allocation requirement:\n");
    // Largest part first, then by name, so that the message does not depend on map order.
    List<Map.Entry<String, Long>> parts = new ArrayList<>(module.instanceSize().entrySet());
    parts.sort(
        Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
            .thenComparing(Map.Entry.comparingByKey()));
    List<String> lines = new ArrayList<>();
    for (Map.Entry<String, Long> part : parts) {
      long bytes = part.getValue();
      // Like Wasmtime: list a part when it is more than 5% of the whole.
      if (bytes > total / 20) {
        lines.add(
            String.format(
                Locale.ROOT,
                " * %.2f%% - %s - %s",
                bytes * 100.0 / total,
                ByteCount.of(bytes),
                part.getKey()));
      }
    }
    for (String line : lines) {
      message.append('\n').append(line);
    }
    throw new ModuleValidationException(message.toString());
  }
}
