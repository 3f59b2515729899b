package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.InstanceAllocation;
import dev.wasmpool.api.LinearMemory;
import dev.wasmpool.api.PooledModule;
import dev.wasmpool.api.TableSlot;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The resources of one instance. Every segment it hands out is a view bound to its {@link
 * Lifetime}'s shared arena, and {@link #close()} closes that arena before anything is reset, so a
 * stale handle throws {@link IllegalStateException} instead of reaching the slot's next tenant.
 *
 * <p>Thread-safe.
 */
final class Allocation implements InstanceAllocation {

  private final EngineImpl engine;
  private final RegisteredModule module;
  private final Lifetime life;
  private final AllocatedMemory[] memories;
  private final AllocatedTable[] tables;
  private final List<LinearMemory> memoryList;
  private final List<TableSlot> tableList;

  /**
   * Wraps granted slots; creates the views.
   *
   * @throws IllegalStateException if a view cannot be made (the caller releases the grants)
   */
  Allocation(
      EngineImpl engine,
      RegisteredModule module,
      Lifetime life,
      MemoryGrant[] memoryGrants,
      TableGrant[] tableGrants) {
    this.engine = engine;
    this.module = module;
    this.life = life;
    this.memories = new AllocatedMemory[memoryGrants.length];
    for (int i = 0; i < memoryGrants.length; i++) {
      memories[i] = new AllocatedMemory(life, i, memoryGrants[i]);
    }
    this.tables = new AllocatedTable[tableGrants.length];
    for (int i = 0; i < tableGrants.length; i++) {
      tables[i] = new AllocatedTable(life, i, tableGrants[i]);
    }
    this.memoryList = Collections.unmodifiableList(Arrays.asList(memories));
    this.tableList = Collections.unmodifiableList(Arrays.asList(tables));
  }

  AllocatedMemory[] allocatedMemories() {
    return memories;
  }

  AllocatedTable[] allocatedTables() {
    return tables;
  }

  RegisteredModule registeredModule() {
    return module;
  }

  @Override
  public PooledModule module() {
    return module;
  }

  @Override
  public List<LinearMemory> memories() {
    return memoryList;
  }

  @Override
  public List<TableSlot> tables() {
    return tableList;
  }

  @Override
  public boolean isClosed() {
    return life.isClosed();
  }

  /**
   * Closes the arena (every handle dies), then resets and returns the slots.
   *
   * @throws IllegalStateException if the arena cannot be closed because a thread is using one of
   *     its segments in a native call; the allocation then stays open and may be closed later
   */
  @Override
  public void close() {
    if (life.close()) {
      engine.release(this);
    }
  }

  @Override
  public String toString() {
    return "InstanceAllocation[module="
        + module.descriptor().name()
        + ", memories="
        + memories.length
        + ", tables="
        + tables.length
        + (life.isClosed() ? ", closed" : "")
        + "]";
  }
}
