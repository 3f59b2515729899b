package dev.wasmpool.api.internal.limits;

import static dev.wasmpool.api.testing.Modules.memory;
import static dev.wasmpool.api.testing.Modules.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.TableType;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ModuleValidatorTest {

  private static final PoolingAllocationConfig BASE =
      PoolingAllocationConfig.builder()
          .maxMemoriesPerModule(1)
          .maxMemorySize(3 * 65536)
          .maxTablesPerModule(1)
          .tableElements(10)
          .totalTables(1)
          .maxCoreInstanceSize(1000)
          .build();

  private static ModuleDescriptor module(List<MemoryType> memories, List<TableType> tables) {
    return new ModuleDescriptor("m", memories, tables, List.of(), Map.of());
  }

  private static ModuleValidationException reject(PoolingAllocationConfig config, ModuleDescriptor module) {
    return assertThrows(
        ModuleValidationException.class, () -> new ModuleValidator(config).validate(module));
  }

  @Test
  void memories_tooMany() {
    ModuleValidationException e = reject(BASE, module(List.of(memory(1, -1), memory(1, -1)), List.of()));
    assertEquals(
        List.of(
            "module memory does not fit in pooling allocator requirements",
            "defined memories count of 2 exceeds the per-instance limit of 1"),
        e.reasons());
    assertEquals(
        "module memory does not fit in pooling allocator requirements: defined memories count of 2"
            + " exceeds the per-instance limit of 1",
        e.getMessage());
    assertEquals("defined memories count of 2 exceeds the per-instance limit of 1", e.getCause().getMessage());
  }

  @Test
  void memory_minimumAboveMaxMemorySize() {
    ModuleValidationException e = reject(BASE, module(List.of(memory(4, -1)), List.of()));
    assertEquals(
        List.of(
            "module memory does not fit in pooling allocator requirements",
            "memory index 0 is unsupported in this pooling allocator configuration",
            "memory has a minimum byte size of 262144 bytes (256 KiB) which exceeds the maxMemorySize"
                + " limit of 196608 bytes (192 KiB)"),
        e.reasons());
    assertEquals(
        "memory has a minimum byte size of 262144 bytes (256 KiB) which exceeds the maxMemorySize limit"
            + " of 196608 bytes (192 KiB)",
        e.rootReason());
    ModuleValidationException cause = assertInstanceOf(ModuleValidationException.class, e.getCause());
    assertInstanceOf(ModuleValidationException.class, cause.getCause());
  }

  @Test
  void memory_shared() {
    ModuleValidationException e =
        reject(BASE, module(List.of(new MemoryType(1, OptionalLong.of(1), true)), List.of()));
    assertEquals(
        "module memory does not fit in pooling allocator requirements: memory index 0 is unsupported in"
            + " this pooling allocator configuration: memory is shared which is not supported in the"
            + " pooling allocator",
        e.getMessage());
  }

  @Test
  void memories_totalMemoriesZero_rejectedAtLoad() {
    // Issue 12 item 7: the module loaded, then every instantiation failed on an exhausted pool.
    PoolingAllocationConfig config = BASE.toBuilder().totalMemories(0).build();
    ModuleValidationException e = reject(config, module(List.of(memory(1, -1)), List.of()));
    assertEquals(
        "module memory does not fit in pooling allocator requirements: defined memories count of 1"
            + " exceeds the total memories limit of 0",
        e.getMessage());
    new ModuleValidator(config).validate(module(List.of(), List.of(table(1, -1))));
  }

  @Test
  void memory_atTheLimit_accepted() {
    new ModuleValidator(BASE).validate(module(List.of(memory(3, -1)), List.of(table(10, -1))));
  }

  @Test
  void tables_tooManyPerModule() {
    ModuleValidationException e = reject(BASE, module(List.of(), List.of(table(1, -1), table(1, -1))));
    assertEquals("defined tables count of 2 exceeds the per-instance limit of 1", e.getMessage());
  }

  @Test
  void tables_tooManyInTotal() {
    PoolingAllocationConfig config = BASE.toBuilder().maxTablesPerModule(5).totalTables(1).build();
    ModuleValidationException e = reject(config, module(List.of(), List.of(table(1, -1), table(1, -1))));
    assertEquals("defined tables count of 2 exceeds the total tables limit of 1", e.getMessage());
  }

  @Test
  void table_minimumAboveTableElements() {
    ModuleValidationException e = reject(BASE, module(List.of(), List.of(table(31, -1))));
    assertEquals("table index 0 has a minimum element size of 31 which exceeds the limit of 10", e.getMessage());
  }

  @Test
  void instanceSize_tooLarge_breakdownOfPartsAbove5Percent() {
    ModuleDescriptor module =
        new ModuleDescriptor(
            "big",
            List.of(),
            List.of(),
            List.of(),
            Map.of("functions", 1500L, "globals", 480L, "types", 20L));
    ModuleValidationException e = reject(BASE, module);
    assertEquals(
        "instance allocation for this module requires 2000 bytes (2.0 KiB) which exceeds the"
            + " configured maximum of 1000 bytes; breakdown of allocation requirement:\n"
            + "\n"
            + " * 75.00% - 1500 bytes (1.5 KiB) - functions\n"
            + " * 24.00% - 480 bytes - globals",
        e.getMessage());
  }

  @Test
  void instanceSize_atTheLimit_accepted() {
    new ModuleValidator(BASE)
        .validate(new ModuleDescriptor("ok", List.of(), List.of(), List.of(), Map.of("functions", 1000L)));
  }
}
