package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import dev.wasmpool.api.binding.InstanceAllocation;

/**
 * A Chicory {@link Instance} whose linear memories and tables live in pool slots. Closing it
 * resets the slots and returns them to the pool.
 *
 * <p>After {@link #close()}, the instance must not be used: any access to its memories or tables,
 * including through a {@link Memory} reference kept from before, throws {@link
 * IllegalStateException} (which is not a Wasm trap), so it can never read or write what the slot's
 * next tenant stores there.
 *
 * <p>Closing on the thread that instantiated is cheapest: the memories' views are confined to that
 * thread, and closing them costs nothing. Closed on another thread while the instantiating thread
 * still runs, the instance's slots wait, not reset, until that thread next instantiates or closes
 * an instance of the engine (or ends); an access that races with the close may still reach the
 * instance's own bytes, never a next tenant's, and every access after the close throws.
 *
 * <p>Thread-safety: as Chicory's {@link Instance}; {@link #close()} is idempotent and may be called
 * from any thread, but not while another thread is running the instance.
 */
public final class PooledInstance implements AutoCloseable {

  private final Instance instance;
  private final InstanceAllocation allocation;

  /** The instance's slots and pooled memories; revokes the memories before it closes the allocation. */
  private final InstanceBinder binder;

  PooledInstance(Instance instance, InstanceBinder binder) {
    this.instance = instance;
    this.allocation = binder.slots().allocation();
    this.binder = binder;
  }

  /**
   * The Chicory instance.
   *
   * @return the instance
   */
  public Instance instance() {
    return instance;
  }

  /**
   * An exported function; the same as {@code instance().export(name)}.
   *
   * @param name the export's name
   * @return the function
   * @throws com.dylibso.chicory.wasm.InvalidException if there is no such function export
   */
  public ExportFunction export(String name) {
    return instance.export(name);
  }

  /**
   * The instance's memory 0; the same as {@code instance().memory()}.
   *
   * @return the memory
   */
  public Memory memory() {
    return instance.memory();
  }

  /**
   * The pooled resources behind this instance.
   *
   * @return the allocation
   */
  public InstanceAllocation allocation() {
    return allocation;
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return allocation.isClosed();
  }

  /**
   * Resets this instance's slots and returns them to the pool. Later calls do nothing.
   *
   * <p>Every access through this instance's memories that happens after this call (on this thread,
   * or on a thread that learns of the close through any synchronisation) throws {@link
   * IllegalStateException}, whichever thread made the instance.
   */
  @Override
  public void close() {
    // First cut the Memory objects loose (plain writes, published by the allocation's close),
    // then close the allocation, whose arenas make even a racing access fail or stay on this
    // tenant's own bytes.
    binder.slots().release();
  }

  @Override
  public String toString() {
    return "PooledInstance[" + allocation.module().descriptor().name() + (isClosed() ? ", closed" : "") + "]";
  }
}
