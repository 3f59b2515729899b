package dev.wasmpool.endive;

import dev.wasmpool.api.binding.InstanceAllocation;
import java.util.Optional;
import java.util.function.Function;
import run.endive.runtime.Instance;
import run.endive.runtime.Memory;
import run.endive.runtime.TableFactory;
import run.endive.wasm.types.MemoryLimits;

/**
 * Pooled memories and tables for one Endive instance that the caller, or a library, builds with
 * Endive's own {@code Instance.builder(...)}; for example quickjs4j's {@code
 * Engine.Builder.withMemoryFactory}:
 *
 * <pre>{@code
 * try (PooledResources resources = module.resources();
 *     io.roastedroot.quickjs4j.core.Engine js =
 *         io.roastedroot.quickjs4j.core.Engine.builder()
 *             .withMemoryFactory(resources.memoryFactory())
 *             .build()) {
 *   js.exec(js.compile("console.log(6 * 7)"));
 * } // the memory is revoked and its slot goes back to the pool, reset
 * }</pre>
 *
 * <p>The slots are taken from the pool at the first factory call and given back by {@link
 * #close()}: a reset on release, and every later access through a kept {@code Memory} throws
 * {@link IllegalStateException}. One {@code PooledResources} serves one instance; {@code
 * Instance.Builder.withMemoryLimits} is honoured between the declared minimum and maximum.
 *
 * <p>Thread-safety: the factories are used by the thread that builds the instance; {@link
 * #close()} may be called from any thread, but not while another thread runs the instance.
 */
public final class PooledResources implements AutoCloseable {

  private final EndiveFactories factories;

  PooledResources(EndiveFactories factories) {
    this.factories = factories;
  }

  /**
   * The memory factory for {@code Instance.Builder.withMemoryFactory}.
   *
   * @return a factory handing out this instance's pooled memories, in index order
   */
  public Function<MemoryLimits, Memory> memoryFactory() {
    return factories;
  }

  /**
   * The table factory for {@code Instance.Builder.withTableFactory}.
   *
   * @return a factory handing out this instance's pooled tables, in index order
   */
  public TableFactory tableFactory() {
    return factories;
  }

  /**
   * Sets both factories on a builder.
   *
   * @param builder the builder of the instance
   * @return the builder
   */
  public Instance.Builder applyTo(Instance.Builder builder) {
    return builder.withMemoryFactory(factories).withTableFactory(factories);
  }

  /**
   * The pooled resources taken so far.
   *
   * @return the allocation, empty until a factory was called
   */
  public Optional<InstanceAllocation> allocation() {
    return factories.slots().allocated() ? Optional.of(factories.slots().allocation()) : Optional.empty();
  }

  /**
   * Revokes the memories and tables handed out and returns the slots to the pool, reset. Later
   * calls do nothing.
   */
  @Override
  public void close() {
    factories.slots().release();
  }
}
