package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableFactory;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolExhaustedException;
import java.util.Optional;
import java.util.function.Function;

/**
 * Pooled memories and tables for one instance that the caller builds with Chicory's own {@code
 * Instance.builder(...)}, as libraries that own their instantiation do (quickjs4j's {@code
 * withMemoryFactory}, a {@code Store}, Extism):
 *
 * <pre>{@code
 * try (PooledResources resources = module.resources()) {
 *   Instance instance = Instance.builder(module.wasmModule())
 *       .withMemoryFactory(resources.memoryFactory())
 *       .withTableFactory(resources.tableFactory())
 *       .build();
 *   instance.export("run").apply();
 * } // the instance's memories are revoked and its slots go back to the pool
 * }</pre>
 *
 * <p>The slots are taken from the pool at the first factory call (so a pool with no free slot fails
 * inside {@code build()} with {@link PoolExhaustedException}), and {@link #close()} gives them back.
 * Everything {@link PooledInstance} promises holds: a reset on release, and every later access
 * through a kept {@code Memory} throws {@link IllegalStateException}.
 *
 * <p>One {@code PooledResources} serves one instance: the k-th memory (table) Chicory asks for gets
 * the k-th defined memory's (table's) slot; asking for more than the module defines fails with
 * {@link IllegalStateException}. {@code Instance.Builder.withMemoryLimits} is honoured between the
 * declared minimum and the declared maximum (within what the pool's slots hold). Either factory may
 * be left out; Chicory then makes that kind on the heap, and the slot taken for it stays unused
 * until {@link #close()}.
 *
 * <p>Thread-safety: the factories are used by the thread that builds the instance (which owns the
 * cheaper confined views, see {@link InstanceAllocation}); {@link #close()} may be called from any
 * thread, but not while another thread runs the instance.
 */
public final class PooledResources implements AutoCloseable {

  private final InstanceBinder binder;
  private boolean closed;

  PooledResources(InstanceBinder binder) {
    this.binder = binder;
  }

  /**
   * The memory factory for {@code Instance.Builder.withMemoryFactory}.
   *
   * @return a factory handing out this instance's pooled memories, in index order
   */
  public Function<MemoryLimits, Memory> memoryFactory() {
    return binder;
  }

  /**
   * The table factory for {@code Instance.Builder.withTableFactory}.
   *
   * @return a factory handing out this instance's pooled tables, in index order
   */
  public TableFactory tableFactory() {
    return binder;
  }

  /**
   * Sets both factories on a builder: {@code builder.withMemoryFactory(memoryFactory())
   * .withTableFactory(tableFactory())}.
   *
   * @param builder the builder of the instance
   * @return the builder
   */
  public Instance.Builder applyTo(Instance.Builder builder) {
    return builder.withMemoryFactory(binder).withTableFactory(binder);
  }

  /**
   * The pooled resources taken so far.
   *
   * @return the allocation, empty until a factory was called
   */
  public Optional<InstanceAllocation> allocation() {
    return binder.slots().allocated() ? Optional.of(binder.slots().allocation()) : Optional.empty();
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Revokes the memories handed out (every later access through them throws {@link
   * IllegalStateException}) and returns the slots to the pool, reset. Later calls do nothing.
   */
  @Override
  public void close() {
    closed = true;
    binder.slots().release();
  }
}
