package dev.wasmpool.api;

import java.util.Objects;

/**
 * How an engine finds memory and tables for a new instance: from fixed pools reserved when the
 * engine starts ({@link #pooling(PoolingAllocationConfig)}, wasmpool's default) or fresh for each
 * instance ({@link #onDemand()}).
 *
 * <p>Implementations are immutable records with value semantics and are safe to share between
 * threads.
 */
public sealed interface AllocationStrategy
    permits AllocationStrategy.OnDemand, AllocationStrategy.Pooling {

  /**
   * The on-demand strategy: each instance asks the backend for its own memory and tables when it
   * is created and gives them back when it closes. Nothing is reserved up front and no pool limit
   * applies beyond the engine's memory settings; instantiation pays for the reservation every time.
   *
   * @return the on-demand strategy
   */
  static AllocationStrategy onDemand() {
    return OnDemand.INSTANCE;
  }

  /**
   * The pooling strategy: the engine reserves every slot described by {@code config} when it is
   * created and hands instances slots from those pools, with slot affinity and bounded counts.
   *
   * @param config the pool's sizes and limits
   * @return the pooling strategy
   * @throws NullPointerException if {@code config} is {@code null}
   */
  static AllocationStrategy pooling(PoolingAllocationConfig config) {
    return new Pooling(config);
  }

  /** Allocation of fresh memory and tables per instance; see {@link AllocationStrategy#onDemand()}. */
  record OnDemand() implements AllocationStrategy {
    /** The single value; every {@code OnDemand} is equal to it. */
    static final OnDemand INSTANCE = new OnDemand();

    /**
     * The factory call that creates this strategy.
     *
     * @return {@code "onDemand()"}
     */
    @Override
    public String toString() {
      return "onDemand()";
    }
  }

  /**
   * Allocation from fixed pools; see {@link AllocationStrategy#pooling(PoolingAllocationConfig)}.
   *
   * @param config the pool's sizes and limits
   */
  record Pooling(PoolingAllocationConfig config) implements AllocationStrategy {
    /**
     * Checks the configuration is present.
     *
     * @throws NullPointerException if {@code config} is {@code null}
     */
    public Pooling {
      Objects.requireNonNull(config, "config");
    }

    /**
     * The factory call that creates this strategy.
     *
     * @return for example {@code "pooling(PoolingAllocationConfig{totalMemories=10})"}
     */
    @Override
    public String toString() {
      return "pooling(" + config + ")";
    }
  }
}
