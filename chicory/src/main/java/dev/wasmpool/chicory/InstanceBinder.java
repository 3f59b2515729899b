package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.Table;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.PooledModule;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Hands one allocation's slots to Chicory while it builds one instance: the memory factory and the
 * table factory of its {@code Instance.Builder}.
 *
 * <p>Chicory calls the memory factory once per defined memory and the table factory once per
 * defined table, in index order and with nothing but the limits (or the table): the k-th call gets
 * the allocation's k-th slot. The allocation is made when it is given, or at the first factory call.
 *
 * <p>Limits other than the declared ones ({@code Instance.Builder.withMemoryLimits}) are honoured
 * within what the slot holds: a larger initial size grows the slot before Chicory sees it, up to
 * the declared maximum; a smaller maximum caps growth.
 *
 * <p>Not thread-safe: used by the one thread building the instance; {@link #release()} may come
 * from any thread once the instance is built.
 */
final class InstanceBinder implements Function<MemoryLimits, Memory>, TableFactory {

  private final ModuleShape shape;
  private final PooledModule module;
  private @Nullable InstanceAllocation allocation;

  /** The memories made so far, in index order; revoked when the instance closes. */
  private final @Nullable PooledMemory[] made;

  /** The tables made so far, in index order; revoked when the instance closes. */
  private final @Nullable PooledTable[] madeTables;

  private int nextMemory;
  private int nextTable;

  /** Set by {@link #release()}: no slot is taken afterwards. */
  private volatile boolean released;

  InstanceBinder(ModuleShape shape, PooledModule module, @Nullable InstanceAllocation allocation) {
    this.shape = shape;
    this.module = module;
    this.allocation = allocation;
    this.made = new PooledMemory[shape.descriptor().memories().size()];
    this.madeTables = new PooledTable[shape.tableCount()];
  }

  /** The allocation, made now if no factory call made it yet. */
  InstanceAllocation allocation() {
    InstanceAllocation current = allocation;
    if (current == null) {
      if (released) {
        throw new IllegalStateException(
            "the pooled resources of module " + shape.descriptor().name() + " were closed");
      }
      current = module.allocate();
      allocation = current;
    }
    return current;
  }

  /** Whether the allocation was made. */
  boolean allocated() {
    return allocation != null;
  }

  /** How many defined memories Chicory took from this binder. */
  int memoriesMade() {
    return nextMemory;
  }

  /** How many defined tables Chicory took from this binder. */
  int tablesMade() {
    return nextTable;
  }

  /**
   * The memories this binder made.
   *
   * @return them, in index order ({@code null} where Chicory asked for none)
   */
  @Nullable PooledMemory[] madeMemories() {
    return made;
  }

  /**
   * Revokes the memories and tables made, then closes the allocation (if one was made): every later access
   * through them throws, and the slots go back to the pool. Idempotent.
   */
  void release() {
    released = true;
    for (PooledMemory memory : made) {
      if (memory != null) {
        memory.revoke();
      }
    }
    for (PooledTable table : madeTables) {
      if (table != null) {
        table.revoke();
      }
    }
    InstanceAllocation current = allocation;
    if (current != null) {
      current.close();
    }
  }

  /**
   * The next defined memory.
   *
   * @throws IllegalStateException if Chicory asks for more memories than the module defines (the
   *     factory was used for a second instance)
   * @throws IllegalArgumentException if the limits ({@code Instance.Builder.withMemoryLimits}) ask
   *     for less than the declared minimum, or more than the declared maximum or the slot holds
   */
  @Override
  public Memory apply(MemoryLimits limits) {
    int index = nextMemory;
    int defined = shape.descriptor().memories().size();
    if (index >= defined) {
      throw new IllegalStateException(
          "module "
              + shape.descriptor().name()
              + " defines "
              + defined
              + (defined == 1 ? " memory" : " memories")
              + " and this factory gave them to an instance already: take new PooledResources"
              + " (PooledWasmModule.resources()) for each instance");
    }
    MemoryType declared = shape.descriptor().memories().get(index);
    long declaredMaximum = declared.maximumPages().orElse(MemoryLimits.MAX_PAGES);
    if (limits.initialPages() < declared.minimumPages()
        || limits.initialPages() > declaredMaximum
        || limits.maximumPages() > declaredMaximum
        || limits.maximumPages() < limits.initialPages()) {
      throw new IllegalArgumentException(
          "memory "
              + index
              + " of module "
              + shape.descriptor().name()
              + ": Instance.Builder.withMemoryLimits("
              + limits.initialPages()
              + ", "
              + limits.maximumPages()
              + ") must stay within the declared limits of "
              + declared.minimumPages()
              + " to "
              + declaredMaximum
              + " pages");
    }
    LinearMemory linear = allocation().memories().get(index);
    long extra = limits.initialPages() - linear.pages();
    if (extra > 0 && linear.grow(extra) < 0) {
      throw new IllegalArgumentException(
          "memory "
              + index
              + " of module "
              + shape.descriptor().name()
              + ": Instance.Builder.withMemoryLimits asks for "
              + limits.initialPages()
              + " initial pages, but its pool slot holds at most "
              + linear.maximumPages());
    }
    nextMemory++;
    PooledMemory memory = new PooledMemory(linear, limits, shape.data());
    made[index] = memory;
    return memory;
  }

  /**
   * The next defined table, with the module's declared limits (not {@code table.limits()}, which
   * Chicory's own table growth may have changed).
   */
  @Override
  public TableInstance create(Table table, int initValue) {
    int index = nextTable;
    int defined = shape.tableCount();
    if (index >= defined) {
      throw new IllegalStateException(
          "module "
              + shape.descriptor().name()
              + " defines "
              + defined
              + (defined == 1 ? " table" : " tables")
              + " and this factory gave them to an instance already: take new PooledResources"
              + " (PooledWasmModule.resources()) for each instance");
    }
    PooledTable pooled =
        new PooledTable(
            allocation().tables().get(index),
            shape.tableElementType(index),
            shape.tableMinimum(index),
            shape.tableMaximum(index),
            initValue);
    madeTables[index] = pooled;
    nextTable++;
    return pooled;
  }
}
