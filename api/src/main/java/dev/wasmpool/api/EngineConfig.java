package dev.wasmpool.api;

import static dev.wasmpool.api.Options.requireNonNegativeBytes;

import dev.wasmpool.spi.support.ByteCount;
import java.util.Locale;
import java.util.Objects;

/**
 * The settings of a wasmpool engine: how instances get memory ({@link #allocationStrategy()}), how
 * linear memories are laid out in address space, and which memory backend runs underneath.
 *
 * <p>The memory options have the meaning of the same-named options of Wasmtime's {@code Config} on
 * 64-bit Linux, with defaults sized for Chicory instead: a memory reservation of 32767 pages, the
 * largest memory Chicory (and Endive) can hold, where Wasmtime reserves 4 GiB, and a 64 KiB guard
 * where Wasmtime has 32 MiB, since every access to a pooled memory is bounds-checked by FFM
 * before any guard could matter (see {@link Builder#memoryGuardSize(long)}). Unlike Wasmtime,
 * whose default strategy is on-demand, wasmpool's default is {@code
 * pooling(PoolingAllocationConfig.defaults())}: pooling is what wasmpool exists for. Each option is
 * documented on its {@link Builder} setter.
 *
 * <pre>{@code
 * EngineConfig config = EngineConfig.builder()
 *     .allocationStrategy(AllocationStrategy.pooling(
 *         PoolingAllocationConfig.builder().totalMemories(100).maxMemorySize(1L << 30).build()))
 *     .memoryReservation(1L << 30)
 *     .build();
 * }</pre>
 *
 * <p>A record: immutable, thread-safe and compared by value. The canonical constructor checks
 * every value as {@link Builder#build()} does. {@link #toString()} lists only the options that
 * differ from {@link #defaults()}, with units.
 *
 * @param allocationStrategy how instances get their memories and tables; default {@code
 *     pooling(PoolingAllocationConfig.defaults())}; see {@link
 *     Builder#allocationStrategy(AllocationStrategy)}
 * @param memoryReservation the address space, in bytes, reserved for each linear memory, guard
 *     excluded; default 32767 pages (2 GiB - 64 KiB, Chicory's largest memory); see {@link
 *     Builder#memoryReservation(long)}
 * @param memoryGuardSize the inaccessible region, in bytes, after (and optionally before) each
 *     linear memory; default 64 KiB; see {@link Builder#memoryGuardSize(long)}
 * @param guardBeforeLinearMemory whether a guard region also precedes the first linear memory;
 *     default {@code true}; see {@link Builder#guardBeforeLinearMemory(boolean)}
 * @param memoryInitCow whether memories are initialized by mapping a copy-on-write image; default
 *     {@code true}; see {@link Builder#memoryInitCow(boolean)}
 * @param backend the memory backend to use, by name, in lower case; default {@value
 *     #AUTO_BACKEND}; see {@link Builder#backend(String)}
 */
public record EngineConfig(
    AllocationStrategy allocationStrategy,
    long memoryReservation,
    long memoryGuardSize,
    boolean guardBeforeLinearMemory,
    boolean memoryInitCow,
    String backend) {

  /** The {@link #backend()} value that lets the engine choose. */
  public static final String AUTO_BACKEND = "auto";

  /** The default {@link #memoryGuardSize()}: one WebAssembly page, so a default slot is 2 GiB. */
  private static final long DEFAULT_GUARD_BYTES = 64 << 10;

  private static final EngineConfig DEFAULTS = new Builder().build();

  /**
   * Checks every option and the rule that relates the pool to the reservation, and puts {@code
   * backend} in lower case.
   *
   * <p>With the pooling strategy, {@link PoolingAllocationConfig#maxMemorySize()} must not exceed
   * {@code memoryReservation}: a pooled memory never moves, so it can grow only within its
   * reservation.
   *
   * @throws IllegalArgumentException if {@code memoryReservation} or {@code memoryGuardSize} is
   *     negative, if {@code backend} is blank or has surrounding white space, or {@code "maximum
   *     memory size of 0x... bytes exceeds the configured memory reservation of 0x... bytes"} if
   *     the pool's maximum memory size exceeds the reservation
   * @throws NullPointerException if {@code allocationStrategy} or {@code backend} is {@code null}
   */
  public EngineConfig {
    Objects.requireNonNull(allocationStrategy, "allocationStrategy");
    requireNonNegativeBytes("memoryReservation", memoryReservation);
    requireNonNegativeBytes("memoryGuardSize", memoryGuardSize);
    Objects.requireNonNull(backend, "backend");
    if (backend.isBlank() || !backend.strip().equals(backend)) {
      throw new IllegalArgumentException(
          "backend must be a provider name or \"auto\" without surrounding white space (was \""
              + backend
              + "\")");
    }
    backend = backend.toLowerCase(Locale.ROOT);
    if (allocationStrategy instanceof AllocationStrategy.Pooling(PoolingAllocationConfig pool)
        && pool.maxMemorySize() > memoryReservation) {
      throw new IllegalArgumentException(
          "maximum memory size of "
              + ByteCount.of(pool.maxMemorySize())
              + " exceeds the configured memory reservation of "
              + ByteCount.of(memoryReservation));
    }
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
   * The options that differ from {@link #defaults()}, byte sizes with binary units, for example
   * {@code EngineConfig{memoryReservation=1GiB, backend=portable}}.
   *
   * @return the text
   */
  @Override
  public String toString() {
    return Options.describe(this, DEFAULTS);
  }

  /**
   * A builder holding this configuration's values, to derive a changed copy.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    return new Builder()
        .allocationStrategy(allocationStrategy)
        .memoryReservation(memoryReservation)
        .memoryGuardSize(memoryGuardSize)
        .guardBeforeLinearMemory(guardBeforeLinearMemory)
        .memoryInitCow(memoryInitCow)
        .backend(backend);
  }

  /**
   * Collects options for an {@link EngineConfig}.
   *
   * <p>Setters only record values; {@link #build()} checks them all and throws naming the first
   * invalid option and its value. Setting an option again replaces the earlier value. {@link
   * #build()} does not change the builder, which may be reused.
   *
   * <p>Not thread-safe: confine a builder to one thread.
   */
  public static final class Builder {

    private AllocationStrategy allocationStrategy;
    private long memoryReservation = PoolingAllocationConfig.DEFAULT_MAX_MEMORY_SIZE;
    private long memoryGuardSize = DEFAULT_GUARD_BYTES;
    private boolean guardBeforeLinearMemory = true;
    private boolean memoryInitCow = true;
    private String backend = AUTO_BACKEND;

    private Builder() {
      allocationStrategy = AllocationStrategy.pooling(PoolingAllocationConfig.defaults());
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
     */
    public Builder allocationStrategy(AllocationStrategy allocationStrategy) {
      this.allocationStrategy = allocationStrategy;
      return this;
    }

    /**
     * Sets how many bytes of address space each linear memory reserves, not counting its guard.
     *
     * <p>With virtual memory (Linux) a pooled memory never moves: it grows in place, by making
     * more of its reservation accessible, so growth never copies and a {@code MemorySegment}
     * handed out stays valid. (The portable backend has no virtual memory: a growth may copy the
     * memory to larger storage and end the segments handed out before it, see {@link
     * dev.wasmpool.api.binding.LinearMemory#segment()}.) In
     * the pool every memory slot is {@code max(memoryReservation, maxMemorySize) + memoryGuardSize}
     * bytes (rounded up to host pages, and smaller with protection-key striping), so {@link
     * PoolingAllocationConfig#maxMemorySize()} must not exceed this value; {@link #build()} checks
     * it. Reserved address space costs no memory until it is made accessible and written, but
     * the whole pool must fit the process's address space, which the engine checks when it starts.
     *
     * <p>The default, 32767 WebAssembly pages (2 GiB - 64 KiB, {@code 2147418112} bytes), is the
     * largest memory Chicory and Endive can hold ({@code Memory.RUNTIME_MAX_PAGES}): a larger
     * reservation would be address space no memory of theirs can use. Wasmtime's default is 4
     * GiB, a 32-bit memory's whole range. {@code 0} reserves nothing beyond what {@code
     * maxMemorySize} needs.
     *
     * @param memoryReservation bytes; default 32767 pages (2 GiB - 64 KiB)
     * @return this builder
     */
    public Builder memoryReservation(long memoryReservation) {
      this.memoryReservation = memoryReservation;
      return this;
    }

    /**
     * Sets the size of the inaccessible guard region that follows each linear memory's
     * reservation.
     *
     * <p>On the JVM every access to a pooled memory goes through a bounds-checked {@code
     * MemorySegment}, so the guard is not what enforces WebAssembly's bounds, as it is for
     * Wasmtime's compiled code (whose 32 MiB default lets it drop bounds checks on small
     * offsets): it is defence in depth. It keeps slots apart, an inaccessible gap that makes a
     * raw native access running past a full memory (native code handed the memory's address, an
     * unsafe copy) fault instead of reaching the next slot's tenant; in the pool, one slot's guard
     * is the region in front of the next. Below a memory's maximum the rest of its reservation is
     * inaccessible too, so the guard matters only once a memory fills its reservation. A non-zero
     * guard is also what lets protection keys stripe the pool. {@code 0} places slots back to
     * back and saves address space.
     *
     * <p>The default, 64 KiB, catches an overrun that runs on from the end of a memory, the usual
     * native bug, and makes a default slot exactly 2 GiB; a larger guard catches only a stray
     * access landing further away, and costs address space in every slot.
     *
     * @param memoryGuardSize bytes; default 64 KiB
     * @return this builder
     */
    public Builder memoryGuardSize(long memoryGuardSize) {
      this.memoryGuardSize = memoryGuardSize;
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
     */
    public Builder backend(String backend) {
      this.backend = backend;
      return this;
    }

    /** Same as {@link EngineConfig#AUTO_BACKEND}, for use in this class's documentation. */
    private static final String AUTO_BACKEND_NAME = AUTO_BACKEND;

    /**
     * Checks every option and creates the configuration; see the {@linkplain
     * EngineConfig#EngineConfig canonical constructor} for the rules. The builder is left
     * unchanged.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the first invalid option and its value, or {@code
     *     "maximum memory size of 0x... bytes exceeds the configured memory reservation of 0x...
     *     bytes"}
     * @throws NullPointerException if {@code allocationStrategy} or {@code backend} is {@code
     *     null}
     */
    public EngineConfig build() {
      return new EngineConfig(
          allocationStrategy,
          memoryReservation,
          memoryGuardSize,
          guardBeforeLinearMemory,
          memoryInitCow,
          backend);
    }
  }
}
