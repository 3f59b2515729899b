package dev.wasmpool.api;

import static dev.wasmpool.api.OptionTable.requireNonNegativeBytes;

import dev.wasmpool.api.OptionTable.Option;
import dev.wasmpool.api.OptionTable.Unit;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * The settings of a wasmpool engine: how instances get memory ({@link #allocationStrategy()}), how
 * linear memories are laid out in address space, and which memory backend runs underneath.
 *
 * <p>The memory options have the meaning and defaults of the same-named options of Wasmtime's
 * {@code Config} on 64-bit Linux. Unlike Wasmtime, whose default strategy is on-demand, wasmpool's
 * default is {@code pooling(PoolingAllocationConfig.defaults())}: pooling is what wasmpool exists
 * for.
 *
 * <pre>{@code
 * EngineConfig config = EngineConfig.builder()
 *     .allocationStrategy(AllocationStrategy.pooling(
 *         PoolingAllocationConfig.builder().totalMemories(100).maxMemorySize(1L << 30).build()))
 *     .memoryReservation(1L << 30)
 *     .build();
 * }</pre>
 *
 * <p>Instances are immutable, thread-safe and compared by value. {@link #toString()} lists only
 * the options that differ from {@link #defaults()}, with units.
 */
public final class EngineConfig extends ConfigValue<EngineConfig> {

  /** The {@link #backend()} value that lets the engine choose. */
  public static final String AUTO_BACKEND = "auto";

  private static final long MIB = 1L << 20;
  private static final long GIB = 1L << 30;

  private static final EngineConfig DEFAULTS = new Builder().build();

  private static final OptionTable<EngineConfig> OPTIONS =
      new OptionTable<>(
          "EngineConfig",
          List.of(
              option("allocationStrategy", EngineConfig::allocationStrategy, Unit.NONE),
              option("memoryReservation", EngineConfig::memoryReservation, Unit.BYTES),
              option("memoryGuardSize", EngineConfig::memoryGuardSize, Unit.BYTES),
              option("guardBeforeLinearMemory", EngineConfig::guardBeforeLinearMemory, Unit.NONE),
              option("memoryInitCow", EngineConfig::memoryInitCow, Unit.NONE),
              option("backend", EngineConfig::backend, Unit.NONE)));

  private final AllocationStrategy allocationStrategy;
  private final long memoryReservation;
  private final long memoryGuardSize;
  private final boolean guardBeforeLinearMemory;
  private final boolean memoryInitCow;
  private final String backend;

  private EngineConfig(Builder b) {
    allocationStrategy = b.allocationStrategy;
    memoryReservation = b.memoryReservation;
    memoryGuardSize = b.memoryGuardSize;
    guardBeforeLinearMemory = b.guardBeforeLinearMemory;
    memoryInitCow = b.memoryInitCow;
    backend = b.backend;
  }

  private static Option<EngineConfig> option(
      String name, Function<EngineConfig, ?> getter, Unit unit) {
    return new Option<>(name, getter, unit);
  }

  /**
   * The configuration with every option at its default, equal to {@code builder().build()}.
   *
   * @return the default configuration
   */
  public static EngineConfig defaults() {
    return DEFAULTS;
  }

  /**
   * A builder with every option at its default.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding this configuration's values, to derive a changed copy.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * How instances get their memories and tables; see {@link
   * Builder#allocationStrategy(AllocationStrategy)}.
   *
   * @return the strategy; default {@code pooling(PoolingAllocationConfig.defaults())}
   */
  public AllocationStrategy allocationStrategy() {
    return allocationStrategy;
  }

  /**
   * The address space reserved for each linear memory, guard excluded; see {@link
   * Builder#memoryReservation(long)}.
   *
   * @return bytes; default 4 GiB
   */
  public long memoryReservation() {
    return memoryReservation;
  }

  /**
   * The inaccessible region after (and optionally before) each linear memory; see {@link
   * Builder#memoryGuardSize(long)}.
   *
   * @return bytes; default 32 MiB
   */
  public long memoryGuardSize() {
    return memoryGuardSize;
  }

  /**
   * Whether a guard region also precedes the first linear memory; see {@link
   * Builder#guardBeforeLinearMemory(boolean)}.
   *
   * @return default {@code true}
   */
  public boolean guardBeforeLinearMemory() {
    return guardBeforeLinearMemory;
  }

  /**
   * Whether memories are initialized by mapping a copy-on-write image; see {@link
   * Builder#memoryInitCow(boolean)}.
   *
   * @return default {@code true}
   */
  public boolean memoryInitCow() {
    return memoryInitCow;
  }

  /**
   * The memory backend to use, by name; see {@link Builder#backend(String)}.
   *
   * @return the name; default {@value #AUTO_BACKEND}
   */
  public String backend() {
    return backend;
  }

  @Override
  OptionTable<EngineConfig> options() {
    return OPTIONS;
  }

  @Override
  EngineConfig defaultValue() {
    return DEFAULTS;
  }

  /**
   * Collects options for an {@link EngineConfig}.
   *
   * <p>Every setter checks its own value at once and throws naming the option and the value;
   * rules that relate two options are checked by {@link #build()}. Setting an option again
   * replaces the earlier value. {@link #build()} does not change the builder, which may be reused.
   *
   * <p>Not thread-safe: confine a builder to one thread.
   */
  public static final class Builder {

    private AllocationStrategy allocationStrategy =
        AllocationStrategy.pooling(PoolingAllocationConfig.defaults());
    private long memoryReservation = 4 * GIB;
    private long memoryGuardSize = 32 * MIB;
    private boolean guardBeforeLinearMemory = true;
    private boolean memoryInitCow = true;
    private String backend = AUTO_BACKEND;

    private Builder() {}

    private Builder(EngineConfig c) {
      allocationStrategy = c.allocationStrategy;
      memoryReservation = c.memoryReservation;
      memoryGuardSize = c.memoryGuardSize;
      guardBeforeLinearMemory = c.guardBeforeLinearMemory;
      memoryInitCow = c.memoryInitCow;
      backend = c.backend;
    }

    /**
     * Sets how instances get their linear memories and tables.
     *
     * <p>{@link AllocationStrategy#pooling(PoolingAllocationConfig)} reserves fixed pools when the
     * engine starts and hands out slots, bounded by the pool's limits; {@link
     * AllocationStrategy#onDemand()} reserves memory per instance. wasmpool's default is pooling
     * with {@link PoolingAllocationConfig#defaults()}, where Wasmtime's is on-demand.
     *
     * @param allocationStrategy the strategy; default {@code
     *     pooling(PoolingAllocationConfig.defaults())}
     * @return this builder
     * @throws NullPointerException if {@code allocationStrategy} is {@code null}
     */
    public Builder allocationStrategy(AllocationStrategy allocationStrategy) {
      this.allocationStrategy = Objects.requireNonNull(allocationStrategy, "allocationStrategy");
      return this;
    }

    /**
     * Sets how many bytes of address space each linear memory reserves, not counting its guard.
     *
     * <p>A pooled memory never moves: it grows in place, by making more of its reservation
     * accessible, so growth never copies and a {@code MemorySegment} handed out stays valid. In
     * the pool every memory slot is {@code max(memoryReservation, maxMemorySize) + memoryGuardSize}
     * bytes (rounded up to host pages, and smaller with protection-key striping), so {@link
     * PoolingAllocationConfig#maxMemorySize()} must not exceed this value; {@link #build()} checks
     * it. Reserved address space costs no memory until it is made accessible and written, but
     * the whole pool must fit the process's address space, which the engine checks when it starts.
     *
     * <p>{@code 0} reserves nothing beyond what {@code maxMemorySize} needs.
     *
     * @param memoryReservation bytes; default 4 GiB
     * @return this builder
     * @throws IllegalArgumentException if {@code memoryReservation} is negative
     */
    public Builder memoryReservation(long memoryReservation) {
      this.memoryReservation = requireNonNegativeBytes("memoryReservation", memoryReservation);
      return this;
    }

    /**
     * Sets the size of the inaccessible guard region that follows each linear memory's
     * reservation.
     *
     * <p>On the JVM every access to a pooled memory goes through a bounds-checked {@code
     * MemorySegment}, so the guard is not what enforces WebAssembly's bounds: it is defence in
     * depth, an inaccessible gap that makes a stray native access past a memory fault instead of
     * reaching the next slot (in the pool, one slot's guard is the region in front of the next).
     * A non-zero guard is also what lets protection keys stripe the pool. {@code 0} places slots
     * back to back and saves address space.
     *
     * @param memoryGuardSize bytes; default 32 MiB
     * @return this builder
     * @throws IllegalArgumentException if {@code memoryGuardSize} is negative
     */
    public Builder memoryGuardSize(long memoryGuardSize) {
      this.memoryGuardSize = requireNonNegativeBytes("memoryGuardSize", memoryGuardSize);
      return this;
    }

    /**
     * Sets whether a guard region of {@link #memoryGuardSize(long)} bytes also precedes the
     * memory pool, so that the first slot, like every other, has a guard before it.
     *
     * <p>Slots are contiguous, so each slot's trailing guard is its successor's leading one; this
     * option adds the one region the first slot would otherwise lack. {@code false} saves one
     * guard's worth of address space.
     *
     * @param guardBeforeLinearMemory default {@code true}
     * @return this builder
     */
    public Builder guardBeforeLinearMemory(boolean guardBeforeLinearMemory) {
      this.guardBeforeLinearMemory = guardBeforeLinearMemory;
      return this;
    }

    /**
     * Sets whether a module's initial memory contents are mapped copy-on-write from an image
     * instead of being copied into each new instance.
     *
     * <p>With the {@code impl-linux} backend the engine builds, once per module, a sealed memory
     * file holding the module's page-aligned data segments and maps it privately into each slot;
     * a slot that last held the same module keeps the mapping, so instantiation costs no copy.
     * Reset then returns written pages to the image's contents. The {@code impl-portable} backend
     * has no mappings and always copies, whatever this option says. {@code false} copies data
     * segments on every instantiation.
     *
     * @param memoryInitCow default {@code true}
     * @return this builder
     */
    public Builder memoryInitCow(boolean memoryInitCow) {
      this.memoryInitCow = memoryInitCow;
      return this;
    }

    /**
     * Sets the memory backend by name, or {@value #AUTO_BACKEND_NAME} to let the engine choose.
     *
     * <p>With {@value #AUTO_BACKEND_NAME} the system property {@code wasmpool.backend}, when set,
     * names the backend; otherwise {@link java.util.ServiceLoader} finds every backend provider
     * and the supported one with the highest priority wins (with the bundled providers, {@code
     * linux} on Linux with native access enabled, else {@code portable}). Any other name forces that provider, ignoring the
     * system property; engine creation fails, saying why and listing what was found, when it is
     * missing or cannot run here. Names are compared in lower case.
     *
     * @param backend the provider name, for example {@code "linux"} or {@code "portable"}; default
     *     {@value #AUTO_BACKEND_NAME}
     * @return this builder
     * @throws NullPointerException if {@code backend} is {@code null}
     * @throws IllegalArgumentException if {@code backend} is blank or has surrounding white space
     */
    public Builder backend(String backend) {
      Objects.requireNonNull(backend, "backend");
      if (backend.isBlank() || !backend.strip().equals(backend)) {
        throw new IllegalArgumentException(
            "backend must be a provider name or \"auto\" without surrounding white space (was \""
                + backend
                + "\")");
      }
      this.backend = backend.toLowerCase(Locale.ROOT);
      return this;
    }

    /** Same as {@link EngineConfig#AUTO_BACKEND}, for use in this class's documentation. */
    private static final String AUTO_BACKEND_NAME = AUTO_BACKEND;

    /**
     * Checks the rules that relate options and creates the configuration. The builder is left
     * unchanged.
     *
     * <p>With the pooling strategy, {@link PoolingAllocationConfig#maxMemorySize()} must not
     * exceed {@link #memoryReservation(long)}: a pooled memory never moves, so it can grow only
     * within its reservation.
     *
     * @return the configuration
     * @throws IllegalArgumentException {@code "maximum memory size of 0x... bytes exceeds the
     *     configured memory reservation of 0x... bytes"} if the pool's maximum memory size exceeds
     *     the reservation
     */
    public EngineConfig build() {
      if (allocationStrategy instanceof AllocationStrategy.Pooling(PoolingAllocationConfig pool)
          && pool.maxMemorySize() > memoryReservation) {
        throw new IllegalArgumentException(
            String.format(
                Locale.ROOT,
                "maximum memory size of %#x bytes exceeds the configured memory reservation of %#x"
                    + " bytes",
                pool.maxMemorySize(),
                memoryReservation));
      }
      return new EngineConfig(this);
    }
  }
}
