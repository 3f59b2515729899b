package dev.wasmpool.api;

import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import static dev.wasmpool.api.Options.requireNonNegative;
import static dev.wasmpool.api.Options.requireNonNegativeBytes;
import static dev.wasmpool.api.Options.requirePositive;

import java.time.Duration;
import java.util.Objects;

/**
 * The sizes and limits of a pooling engine's pools, with the meaning and defaults of Wasmtime's
 * {@code PoolingAllocationConfig}, except {@link #maxMemorySize()}: its default is 32767 pages, the
 * largest memory Chicory can hold, where Wasmtime's is 4 GiB.
 *
 * <p>When an engine with {@link AllocationStrategy#pooling(PoolingAllocationConfig)} starts, it
 * reserves address space for {@link #totalMemories()} linear memories and {@link #totalTables()}
 * tables, and from then on every instance takes its memories, tables and an instance slot from
 * those pools. A full pool fails instantiation with a {@link PoolExhaustedException}; nothing grows
 * behind the caller's back. Closed instances return their slots reset, and a slot remembers which
 * module last used it ("affinity") so that the next instance of that module finds its memory image
 * already in place.
 *
 * <p>Build one with {@link #builder()}; each option is documented on its {@link Builder} setter:
 *
 * <pre>{@code
 * PoolingAllocationConfig pool = PoolingAllocationConfig.builder()
 *     .totalMemories(200)
 *     .maxMemorySize(64L << 20)
 *     .linearMemoryKeepResident(64 << 10)
 *     .build();
 * }</pre>
 *
 * <p>Byte sizes are {@code long} byte counts and counts are {@code int}. Sizes need not be
 * multiples of the host page: the engine rounds slot sizes up to whole pages.
 *
 * <p>Some options exist for parity with Wasmtime although Chicory has nothing they could size:
 * Chicory has no component model, no garbage-collected heaps and no separate execution stacks (it
 * runs WebAssembly on the calling Java thread). Those options are validated and reported, and they
 * bound only what an embedder or runtime binding explicitly acquires through the engine; each
 * option's documentation says what it limits.
 *
 * <p>A record: immutable, thread-safe and compared by value. The canonical constructor checks
 * every value as {@link Builder#build()} does, but naming the options through the builder reads
 * better and survives new options. {@link #toString()} lists only the options that differ from
 * {@link #defaults()}, with units.
 *
 * @param maxUnusedWarmSlots the most unused warm slots a pool keeps before it reuses warm slots of
 *     other modules; default 100; see {@link Builder#maxUnusedWarmSlots(int)}
 * @param decommitBatchSize how many decommit ranges are gathered before they are issued together;
 *     default 1; see {@link Builder#decommitBatchSize(int)}
 * @param asyncStackKeepResident bytes of each accounted stack reset by writing rather than
 *     decommitted; default 0; see {@link Builder#asyncStackKeepResident(long)}
 * @param linearMemoryKeepResident bytes at the start of each linear memory slot reset by writing
 *     and kept resident; default 0; see {@link Builder#linearMemoryKeepResident(long)}
 * @param tableKeepResident bytes at the start of each table slot reset by writing and kept
 *     resident; default 0; see {@link Builder#tableKeepResident(long)}
 * @param totalComponentInstances the most component-instance slots live at once; default 1000;
 *     see {@link Builder#totalComponentInstances(int)}
 * @param maxComponentInstanceSize the largest size, in bytes, a component-instance slot may be
 *     acquired for; default 1 MiB; see {@link Builder#maxComponentInstanceSize(long)}
 * @param totalMemories the number of linear memory slots; default 1000; see {@link
 *     Builder#totalMemories(int)}
 * @param totalTables the number of table slots; default 1000; see {@link
 *     Builder#totalTables(int)}
 * @param totalStacks the most accounted execution stacks live at once; default 1000; see {@link
 *     Builder#totalStacks(int)}
 * @param totalCoreInstances the most core instances live at once; default 1000; see {@link
 *     Builder#totalCoreInstances(int)}
 * @param maxCoreInstanceSize the largest estimated per-instance metadata size, in bytes, a module
 *     may need; default 1 MiB; see {@link Builder#maxCoreInstanceSize(long)}
 * @param maxTablesPerModule the most tables a module may define; default 1; see {@link
 *     Builder#maxTablesPerModule(int)}
 * @param tableElements the most elements any pooled table may hold; default 20000; see {@link
 *     Builder#tableElements(int)}
 * @param maxMemoriesPerModule the most linear memories a module may define; default 1; see {@link
 *     Builder#maxMemoriesPerModule(int)}
 * @param maxMemorySize the largest size, in bytes, any pooled linear memory may reach; default
 *     32767 pages (2 GiB - 64 KiB, Chicory's largest memory); see {@link Builder#maxMemorySize(long)}
 * @param memoryProtectionKeys whether memory protection keys stripe the memory pool; default
 *     {@link MemoryProtectionKeys#DISABLE}; see {@link
 *     Builder#memoryProtectionKeys(MemoryProtectionKeys)}
 * @param maxMemoryProtectionKeys the most protection keys the engine uses; default 16; see {@link
 *     Builder#maxMemoryProtectionKeys(int)}
 * @param totalGcHeaps the most GC-heap slots live at once; default 1000; see {@link
 *     Builder#totalGcHeaps(int)}
 * @param acquireTimeout how long an instantiation waits for a slot of a full pool; default 0
 *     (fail at once, as Wasmtime does); see {@link Builder#acquireTimeout(Duration)}
 * @param warmSlotIdleTimeout how long a warm slot may stay unused before its memory is handed
 *     back; default 0 (never, as Wasmtime); see {@link Builder#warmSlotIdleTimeout(Duration)}
 * @param leakDetectionThreshold how long an instance may stay open before it is logged as a
 *     possible leak; default 0 (never); see {@link Builder#leakDetectionThreshold(Duration)}
 */
public record PoolingAllocationConfig(
    int maxUnusedWarmSlots,
    int decommitBatchSize,
    long asyncStackKeepResident,
    long linearMemoryKeepResident,
    long tableKeepResident,
    int totalComponentInstances,
    long maxComponentInstanceSize,
    int totalMemories,
    int totalTables,
    int totalStacks,
    int totalCoreInstances,
    long maxCoreInstanceSize,
    int maxTablesPerModule,
    int tableElements,
    int maxMemoriesPerModule,
    long maxMemorySize,
    MemoryProtectionKeys memoryProtectionKeys,
    int maxMemoryProtectionKeys,
    int totalGcHeaps,
    Duration acquireTimeout,
    Duration warmSlotIdleTimeout,
    Duration leakDetectionThreshold) {

  private static final long MIB = 1L << 20;

  /**
   * The default {@link #maxMemorySize()}, and {@link EngineConfig}'s default memory reservation:
   * 32767 WebAssembly pages (2 GiB - 64 KiB), the largest memory Chicory and Endive can hold
   * ({@code Memory.RUNTIME_MAX_PAGES}, the largest number of pages whose byte size is an {@code
   * int}).
   */
  static final long DEFAULT_MAX_MEMORY_SIZE = 32_767L * MemoryType.PAGE_SIZE;

  /** Bytes of one table element: tables hold 8-byte references off-heap. */
  private static final long TABLE_ELEMENT_BYTES = 8;

  private static final PoolingAllocationConfig DEFAULTS = new Builder().build();

  /**
   * Checks every option and the rules that relate them.
   *
   * @throws IllegalArgumentException naming the first invalid option and its value: a negative
   *     count or size, a {@code maxMemoryProtectionKeys} that is not positive, or {@code "totalTables
   *     must be at most N when tableElements is M (was T)"} if the table pool's size, {@code
   *     totalTables * tableElements * 8} bytes, does not fit in a {@code long}
   * @throws NullPointerException if {@code memoryProtectionKeys} is {@code null}
   */
  public PoolingAllocationConfig {
    requireNonNegative("maxUnusedWarmSlots", maxUnusedWarmSlots);
    requireNonNegative("decommitBatchSize", decommitBatchSize);
    requireNonNegativeBytes("asyncStackKeepResident", asyncStackKeepResident);
    requireNonNegativeBytes("linearMemoryKeepResident", linearMemoryKeepResident);
    requireNonNegativeBytes("tableKeepResident", tableKeepResident);
    requireNonNegative("totalComponentInstances", totalComponentInstances);
    requireNonNegativeBytes("maxComponentInstanceSize", maxComponentInstanceSize);
    requireNonNegative("totalMemories", totalMemories);
    requireNonNegative("totalTables", totalTables);
    requireNonNegative("totalStacks", totalStacks);
    requireNonNegative("totalCoreInstances", totalCoreInstances);
    requireNonNegativeBytes("maxCoreInstanceSize", maxCoreInstanceSize);
    requireNonNegative("maxTablesPerModule", maxTablesPerModule);
    requireNonNegative("tableElements", tableElements);
    requireNonNegative("maxMemoriesPerModule", maxMemoriesPerModule);
    requireNonNegativeBytes("maxMemorySize", maxMemorySize);
    Objects.requireNonNull(memoryProtectionKeys, "memoryProtectionKeys");
    requirePositive("maxMemoryProtectionKeys", maxMemoryProtectionKeys);
    requireNonNegative("totalGcHeaps", totalGcHeaps);
    requireNonNegative("acquireTimeout", acquireTimeout);
    requireNonNegative("warmSlotIdleTimeout", warmSlotIdleTimeout);
    requireNonNegative("leakDetectionThreshold", leakDetectionThreshold);
    long slotBytes = TABLE_ELEMENT_BYTES * tableElements;
    if (slotBytes > 0 && totalTables > Long.MAX_VALUE / slotBytes) {
      throw new IllegalArgumentException(
          "totalTables must be at most "
              + Long.MAX_VALUE / slotBytes
              + " when tableElements is "
              + tableElements
              + " (was "
              + totalTables
              + ")");
    }
  }

  /**
   * The configuration with every option at its default, equal to {@code builder().build()}.
   *
   * @return the default configuration
   */
  public static PoolingAllocationConfig defaults() {
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
    return new Builder()
        .maxUnusedWarmSlots(maxUnusedWarmSlots)
        .decommitBatchSize(decommitBatchSize)
        .asyncStackKeepResident(asyncStackKeepResident)
        .linearMemoryKeepResident(linearMemoryKeepResident)
        .tableKeepResident(tableKeepResident)
        .totalComponentInstances(totalComponentInstances)
        .maxComponentInstanceSize(maxComponentInstanceSize)
        .totalMemories(totalMemories)
        .totalTables(totalTables)
        .totalStacks(totalStacks)
        .totalCoreInstances(totalCoreInstances)
        .maxCoreInstanceSize(maxCoreInstanceSize)
        .maxTablesPerModule(maxTablesPerModule)
        .tableElements(tableElements)
        .maxMemoriesPerModule(maxMemoriesPerModule)
        .maxMemorySize(maxMemorySize)
        .memoryProtectionKeys(memoryProtectionKeys)
        .maxMemoryProtectionKeys(maxMemoryProtectionKeys)
        .totalGcHeaps(totalGcHeaps)
        .acquireTimeout(acquireTimeout)
        .warmSlotIdleTimeout(warmSlotIdleTimeout)
        .leakDetectionThreshold(leakDetectionThreshold);
  }

  /**
   * The options that differ from {@link #defaults()}, byte sizes with binary units, for example
   * {@code PoolingAllocationConfig{totalMemories=200, maxMemorySize=64MiB}}.
   *
   * @return the text
   */
  @Override
  public String toString() {
    return Options.describe(this, DEFAULTS);
  }

  /**
   * Collects options for a {@link PoolingAllocationConfig}.
   *
   * <p>Setters only record values; {@link #build()} checks them all and throws {@link
   * IllegalArgumentException} naming the first invalid option and its value. Setting an option
   * again replaces the earlier value, so that a builder from {@link
   * PoolingAllocationConfig#toBuilder()} can be changed. {@link #build()} does not change the
   * builder, which may be reused.
   *
   * <p>Not thread-safe: confine a builder to one thread.
   */
  public static final class Builder {

    private int maxUnusedWarmSlots = 100;
    private int decommitBatchSize = 1;
    private long asyncStackKeepResident = 0;
    private long linearMemoryKeepResident = 0;
    private long tableKeepResident = 0;
    private int totalComponentInstances = 1000;
    private long maxComponentInstanceSize = MIB;
    private int totalMemories = 1000;
    private int totalTables = 1000;
    private int totalStacks = 1000;
    private int totalCoreInstances = 1000;
    private long maxCoreInstanceSize = MIB;
    private int maxTablesPerModule = 1;
    private int tableElements = 20_000;
    private int maxMemoriesPerModule = 1;
    private long maxMemorySize = DEFAULT_MAX_MEMORY_SIZE;
    private MemoryProtectionKeys memoryProtectionKeys = MemoryProtectionKeys.DISABLE;
    private int maxMemoryProtectionKeys = 16;
    private int totalGcHeaps = 1000;
    private Duration acquireTimeout = Duration.ZERO;
    private Duration warmSlotIdleTimeout = Duration.ZERO;
    private Duration leakDetectionThreshold = Duration.ZERO;

    private Builder() {}


    /**
     * Sets how many unused warm slots a pool keeps for their modules before it starts reusing
     * them for other modules.
     *
     * <p>A slot is <em>cold</em> until it is first used and <em>warm</em> afterwards; a warm slot
     * remembers the module that last used it (its affinity). On Linux a warm slot still has that
     * module's copy-on-write image mapped and up to {@link #linearMemoryKeepResident(long)} bytes
     * resident, so reusing it for the same module costs the least, while keeping many of them
     * costs resident memory. To pick a slot for a new instance the pool:
     *
     * <ol>
     *   <li>takes the most recently freed warm slot affine to the instance's module, if any;
     *   <li>otherwise, while fewer than this many slots are unused and warm, takes a cold slot
     *       (lowest index first), or the least recently freed warm slot when no cold one is left;
     *   <li>otherwise takes the least recently freed warm slot of any module, or a cold slot when
     *       no warm one is left.
     * </ol>
     *
     * <p>The choice is made over the whole pool whatever thread asks: every free slot is visible
     * to every thread, and no thread keeps slots of its own, so the slot picked and the number of
     * warm slots do not depend on the number of threads or on which thread freed a slot.
     *
     * <p>Since a cold slot is taken only while fewer than this many slots are warm (or none is
     * free), the memory slots ever touched never exceed the peak number of live memories plus this
     * budget (and {@link #totalMemories(int)}); when no instance is live, that is also the most
     * slots that can be unused and warm. {@code 0} reuses warm slots as aggressively as possible:
     * the slots ever touched equal the peak number of live memories. With {@link
     * #decommitBatchSize(int)} above 1, slots waiting in a decommit batch are neither free nor live,
     * so up to {@code decommitBatchSize - 1} more may be touched. {@link Integer#MAX_VALUE} prefers
     * cold slots, so over time every slot is touched. The budget applies to each memory pool (each
     * protection-key stripe has its own). As in Wasmtime, table slots track no affinity, and their
     * budget is always 0.
     *
     * @param maxUnusedWarmSlots the count; default 100
     * @return this builder
     */
    public Builder maxUnusedWarmSlots(int maxUnusedWarmSlots) {
      this.maxUnusedWarmSlots = maxUnusedWarmSlots;
      return this;
    }

    /**
     * Sets how many slot resets the engine gathers before it returns their pages to the operating
     * system together.
     *
     * <p>Closing an instance resets its memory and table slots: the keep-resident prefix is
     * restored by writing at once, and the pages beyond it are decommitted ({@code
     * madvise(MADV_DONTNEED)} on Linux, one call per range). With a batch size above 1 those
     * ranges are queued instead; when the queue holds this many ranges, all of them are
     * decommitted together and their slots return to the free lists at once. On Linux the batch is
     * one {@code process_madvise(2)} system call (up to 1024 ranges each) where the kernel accepts
     * {@code MADV_DONTNEED} for the calling process (Linux 6.13 and later), otherwise one {@code
     * madvise} per range, which saves nothing; the engine logs which at start ("decommits: ...").
     * So N closes of single-range slots cost about N / batch size decommit calls. The price: a
     * queued slot is neither live nor free until its batch runs, and when a pool runs out, the
     * engine flushes the queue and retries before it throws {@link PoolExhaustedException}, so
     * batching never causes a spurious failure. A batch may hold a few ranges more than the target
     * (one close can add two).
     *
     * <p>{@code 1} and {@code 0} both disable batching: every close resets at once. The {@code
     * impl-portable} backend resets by writing, with no system call to save: its slots are reset
     * and freed at once whatever the batch size.
     *
     * @param decommitBatchSize the number of ranges per batch; default 1
     * @return this builder
     */
    public Builder decommitBatchSize(int decommitBatchSize) {
      this.decommitBatchSize = decommitBatchSize;
      return this;
    }

    /**
     * Sets how many bytes of each accounted execution stack would be reset by writing instead of
     * being decommitted.
     *
     * <p>In Wasmtime this sizes the zeroing of fiber stacks for async execution. Chicory has no
     * such stacks: it runs WebAssembly on the calling Java thread, whose stack the JVM owns. The
     * stacks wasmpool accounts (see {@link #totalStacks(int)}) are counters without memory, so this
     * option is validated and reported but changes nothing.
     *
     * @param asyncStackKeepResident bytes; default 0
     * @return this builder
     */
    public Builder asyncStackKeepResident(long asyncStackKeepResident) {
      this.asyncStackKeepResident = asyncStackKeepResident;
      return this;
    }

    /**
     * Sets how many bytes at the start of each linear memory slot are reset by writing and kept
     * resident when an instance closes.
     *
     * <p>By default the {@code impl-linux} backend resets a closed instance's memory with {@code
     * madvise(MADV_DONTNEED)}: its pages go back to the kernel, and the next instance faults them
     * in again (zero pages, or the module's image pages). With this option the first bytes (rounded
     * up to whole host pages, and never more than the memory's accessible size) are instead reset
     * by hand, zeroed outside the module's image and copied from the module's data inside it, and
     * stay resident; only the rest is decommitted. That trades resident memory for fewer page
     * faults when slots are reused. Each unused warm slot then counts up to this many bytes as
     * resident in the pool's metrics.
     *
     * <p>{@code 0} decommits everything. A value at least {@link #maxMemorySize(long)} never
     * decommits: every reset writes the accessible memory. Only the {@code impl-linux} backend is
     * affected; the {@code impl-portable} backend cannot decommit and always resets by writing.
     *
     * @param linearMemoryKeepResident bytes; default 0
     * @return this builder
     */
    public Builder linearMemoryKeepResident(long linearMemoryKeepResident) {
      this.linearMemoryKeepResident = linearMemoryKeepResident;
      return this;
    }

    /**
     * Sets how many bytes at the start of each table slot are reset by writing (zeroed) and kept
     * resident when an instance closes; the rest of the table's storage is decommitted.
     *
     * <p>The same trade as {@link #linearMemoryKeepResident(long)}, for tables: a table slot holds
     * {@link #tableElements(int)} elements of 8 bytes. {@code 0} decommits everything; a value at
     * least the table slot's size never decommits. Only the {@code impl-linux} backend is
     * affected; the {@code impl-portable} backend always zeroes by writing.
     *
     * @param tableKeepResident bytes; default 0
     * @return this builder
     */
    public Builder tableKeepResident(long tableKeepResident) {
      this.tableKeepResident = tableKeepResident;
      return this;
    }

    /**
     * Sets the most component-instance slots that may be live at once.
     *
     * <p>Chicory and wasmpool have no component model, so no instantiation takes one of these
     * slots. The limit applies only to an embedder that acquires component-instance slots
     * through the engine explicitly; acquiring one more than this fails with {@code "maximum
     * concurrent limit of N for component instances reached"}. No memory is reserved for them.
     *
     * @param totalComponentInstances the count; default 1000; {@code 0} forbids acquiring any
     * @return this builder
     */
    public Builder totalComponentInstances(int totalComponentInstances) {
      this.totalComponentInstances = totalComponentInstances;
      return this;
    }

    /**
     * Sets the largest size, in bytes, for which a component-instance slot may be acquired.
     *
     * <p>As with {@link #totalComponentInstances(int)}, nothing in wasmpool or Chicory acquires
     * component-instance slots on its own; the size is checked only when an embedder acquires
     * one through the engine with a declared size. No memory is reserved.
     *
     * @param maxComponentInstanceSize bytes; default 1 MiB
     * @return this builder
     */
    public Builder maxComponentInstanceSize(long maxComponentInstanceSize) {
      this.maxComponentInstanceSize = maxComponentInstanceSize;
      return this;
    }

    /**
     * Sets the number of linear memory slots, which is the most linear memories live at once.
     *
     * <p>Each slot takes {@code max(memoryReservation, maxMemorySize) + memoryGuardSize} bytes of
     * address space (less with protection-key striping), and the slots are reserved in slabs of 16
     * as demand rises, each slab with its own leading guard. The default 1000 slots of 2 GiB (32767
     * pages plus a 64 KiB guard) need about 1.95 TiB at the pool's largest; the engine reserves
     * the first slab, about 32 GiB, when it starts. It checks at start that the pool at its
     * largest fits the process's address space and says how many slots would fit if it does not.
     * On Linux it also checks that up to 4 mappings per slot fit {@code vm.max_map_count}, with
     * room left for the JVM's own mappings (see the user guide). Reserved address space costs no
     * memory until used. An instantiation beyond the limit fails with {@code
     * "maximum concurrent limit of N for memory stripe S reached"}. A module that defines more
     * memories than this could never be instantiated, so it is rejected at load ({@code "defined
     * memories count of N exceeds the total memories limit of M"}).
     *
     * @param totalMemories the count; default 1000; {@code 0} admits only modules without memory
     * @return this builder
     */
    public Builder totalMemories(int totalMemories) {
      this.totalMemories = totalMemories;
      return this;
    }

    /**
     * Sets the number of table slots, which is the most tables live at once.
     *
     * <p>The engine reserves off-heap storage for all of them when it starts: each slot holds
     * {@link #tableElements(int)} 8-byte elements rounded up to whole host pages (160 KiB for the
     * defaults, about 156 MiB for 1000 slots), committed only as it is written. An instantiation
     * beyond the limit fails with {@code "maximum concurrent limit of N for tables reached"}.
     *
     * @param totalTables the count; default 1000; {@code 0} admits only modules without tables
     * @return this builder
     */
    public Builder totalTables(int totalTables) {
      this.totalTables = totalTables;
      return this;
    }

    /**
     * Sets the most execution stacks that may be accounted at once.
     *
     * <p>Wasmtime allocates a fiber stack per async instance. Chicory runs WebAssembly on the
     * calling Java thread and wasmpool allocates no stack memory. The engine accounts one stack
     * per live instance only when the runtime binding asks for one at instantiation, and none
     * otherwise; asking beyond the limit fails with {@code "maximum concurrent limit of N for
     * fibers reached"}. Whether a binding asks is part of that binding's documentation.
     *
     * @param totalStacks the count; default 1000
     * @return this builder
     */
    public Builder totalStacks(int totalStacks) {
      this.totalStacks = totalStacks;
      return this;
    }

    /**
     * Sets the most core (module) instances live at once.
     *
     * <p>Every instantiation takes one instance slot, whether or not the module has memories or
     * tables, and gives it back on close. The slot carries no reserved memory in wasmpool (Chicory
     * keeps instance state on the Java heap); it bounds concurrency. One more fails with {@code
     * "maximum concurrent limit of N for core instances reached"}.
     *
     * @param totalCoreInstances the count; default 1000; {@code 0} forbids every instantiation
     * @return this builder
     */
    public Builder totalCoreInstances(int totalCoreInstances) {
      this.totalCoreInstances = totalCoreInstances;
      return this;
    }

    /**
     * Sets the largest estimated per-instance metadata size, in bytes, that a module may need.
     *
     * <p>When a module is loaded the runtime binding estimates the bookkeeping one instance of it
     * needs (functions, globals, memories, tables, types; see {@link
     * ModuleDescriptor#instanceSize()}). A module whose estimate exceeds this limit is rejected at
     * load with {@code "instance allocation for this module requires N bytes which exceeds the
     * configured maximum of M bytes"} followed by the largest parts. The check bounds the size of
     * modules admitted to the pool; wasmpool reserves no memory for it, as Chicory keeps instance
     * state on the Java heap.
     *
     * @param maxCoreInstanceSize bytes; default 1 MiB
     * @return this builder
     */
    public Builder maxCoreInstanceSize(long maxCoreInstanceSize) {
      this.maxCoreInstanceSize = maxCoreInstanceSize;
      return this;
    }

    /**
     * Sets the most tables a module may define (imported tables do not count).
     *
     * <p>A module that defines more is rejected at load with {@code "defined tables count of N
     * exceeds the per-instance limit of M"}.
     *
     * @param maxTablesPerModule the count; default 1; {@code 0} admits only modules without
     *     defined tables
     * @return this builder
     */
    public Builder maxTablesPerModule(int maxTablesPerModule) {
      this.maxTablesPerModule = maxTablesPerModule;
      return this;
    }

    /**
     * Sets the most elements any pooled table may hold, which sizes every table slot.
     *
     * <p>A module whose table has a larger minimum is rejected at load with {@code "table index I
     * has a minimum element size of N which exceeds the limit of M"}. A table whose declared
     * maximum is larger or absent may grow up to this many elements; {@code table.grow} beyond
     * fails with -1. Each slot reserves 8 bytes per element.
     *
     * @param tableElements elements; default 20000
     * @return this builder
     */
    public Builder tableElements(int tableElements) {
      this.tableElements = tableElements;
      return this;
    }

    /**
     * Sets the most linear memories a module may define (imported memories do not count).
     *
     * <p>A module that defines more is rejected at load with {@code "defined memories count of N
     * exceeds the per-instance limit of M"}. Each defined memory takes its own memory slot.
     *
     * @param maxMemoriesPerModule the count; default 1; {@code 0} admits only modules without
     *     defined memories
     * @return this builder
     */
    public Builder maxMemoriesPerModule(int maxMemoriesPerModule) {
      this.maxMemoriesPerModule = maxMemoriesPerModule;
      return this;
    }

    /**
     * Sets the largest size, in bytes, that any pooled linear memory may reach.
     *
     * <p>A module whose memory has a larger minimum is rejected at load ({@code "memory has a
     * minimum byte size of N bytes (…) which exceeds the maxMemorySize limit of M bytes (…)"}). A memory whose declared
     * maximum is larger or absent may grow up to this size; {@code memory.grow} beyond returns
     * -1. Chicory itself caps memories at 32767 pages (just under 2 GiB), so under the Chicory
     * binding a memory never grows beyond that whatever this value; the default is that cap, where
     * Wasmtime's is 4 GiB.
     *
     * <p>It must not exceed {@link EngineConfig#memoryReservation()}, which the engine checks when
     * the {@link EngineConfig} is built. A smaller value lets protection-key striping pack more
     * memories in the same address space (see {@link
     * #memoryProtectionKeys(MemoryProtectionKeys)}); {@code 0} admits only memories of size zero.
     *
     * @param maxMemorySize bytes; default 32767 pages (2 GiB - 64 KiB, {@code 2147418112})
     * @return this builder
     */
    public Builder maxMemorySize(long maxMemorySize) {
      this.maxMemorySize = maxMemorySize;
      return this;
    }

    /**
     * Sets whether memory protection keys (MPK) stripe the memory pool.
     *
     * <p>With keys, consecutive slots are coloured with different keys, so a slot's neighbours act
     * as its guard region and slots can be packed closer: with a {@link #maxMemorySize(long)} of
     * 128 MiB and 15 keys, the default 1000 slots need about 0.19 TiB at the pool's largest
     * instead of 1.95 TiB. Striping needs a non-zero guard size, at least two slots and at least
     * two keys.
     *
     * <p>What is enforced when the pool is striped: a runtime binding (the Chicory binding does)
     * switches the thread's rights register around guest code, so that a thread running an
     * instance's guest code may touch only key 0 and that instance's key (and the keys of pooled
     * memories it imports); host functions called from guest code, and every thread outside guest
     * code, have every key. A raw access from guest rights to another stripe's slot is a {@code
     * SIGSEGV} ({@code SEGV_PKUERR}) the JVM does not survive; the FFM bounds check of every memory
     * access stays the first guard, and keys a second line behind it. What it costs: nothing
     * without keys; with keys, two rights-register exchanges per entry into guest code and per host
     * function call (each 16 {@code pkey_get} and up to 16 {@code pkey_set} calls through FFM), and
     * one per allocation and per close. See the user guide, section 6.
     *
     * <p>Keys exist only on x86-64 Linux with PKU hardware and kernel support, through the {@code
     * impl-linux} backend. {@link MemoryProtectionKeys#AUTO} uses them when available; {@link
     * MemoryProtectionKeys#ENABLE} makes engine creation fail with {@code "mpk is disabled on this
     * system"} when they are not. Experimental.
     *
     * @param memoryProtectionKeys the mode; default {@link MemoryProtectionKeys#DISABLE}
     * @return this builder
     */
    public Builder memoryProtectionKeys(MemoryProtectionKeys memoryProtectionKeys) {
      this.memoryProtectionKeys = memoryProtectionKeys;
      return this;
    }

    /**
     * Sets the most memory protection keys the engine uses, which bounds the number of stripes.
     *
     * <p>Applies only when {@link #memoryProtectionKeys(MemoryProtectionKeys)} is not {@link
     * MemoryProtectionKeys#DISABLE}. Hardware offers 15 usable keys; a larger value has no further
     * effect, and {@code 1} means no striping (one key colours nothing). Keys are allocated once
     * per process and shared by every engine, so this also bounds what later engines can get.
     * {@code 0} is rejected: to use no keys, disable them.
     *
     * @param maxMemoryProtectionKeys the count; default 16
     * @return this builder
     */
    public Builder maxMemoryProtectionKeys(int maxMemoryProtectionKeys) {
      this.maxMemoryProtectionKeys = maxMemoryProtectionKeys;
      return this;
    }

    /**
     * Sets the most GC-heap slots that may be live at once.
     *
     * <p>Chicory has no WebAssembly GC heaps (GC objects, where supported, live on the Java heap),
     * so no instantiation takes one of these slots. The limit applies only to an embedder or
     * binding that acquires GC-heap slots through the engine explicitly; one more fails with
     * {@code "maximum concurrent limit of N for GC heaps reached"}. No memory is reserved.
     *
     * @param totalGcHeaps the count; default 1000
     * @return this builder
     */
    public Builder totalGcHeaps(int totalGcHeaps) {
      this.totalGcHeaps = totalGcHeaps;
      return this;
    }

    /**
     * Sets how long an instantiation waits for a slot when a pool is full (HikariCP's {@code
     * connectionTimeout}).
     *
     * <p>With {@code 0}, the default, a full pool fails the instantiation at once with {@link
     * PoolExhaustedException}, as Wasmtime does. With a positive timeout an instantiation that
     * finds no free memory slot, table slot or core instance waits until another instance of the
     * engine closes, then tries again, until the timeout has passed; it then throws {@link
     * PoolExhaustedException} whose message adds how long it waited and the pool's counts
     * ({@code "...reached; no slot was freed within 250 ms (memories: 4 live, 0 warm, 0 pending
     * reset; 3 waiting)"}). Waiting instantiations are served in arrival order: while any waits, a
     * new one queues behind it instead of taking the slot that was just freed. Waiting threads
     * park; virtual threads do not pin their carrier. An interrupted waiter stops waiting and
     * throws {@link PoolExhaustedException} with its interrupt status set.
     *
     * @param acquireTimeout the longest wait; default {@link Duration#ZERO}
     * @return this builder
     */
    public Builder acquireTimeout(Duration acquireTimeout) {
      this.acquireTimeout = acquireTimeout;
      return this;
    }

    /**
     * Sets how long a warm slot may stay unused before the engine hands its memory back (idle
     * trim), so that the resident memory of a quiet pool comes back without closing the engine.
     *
     * <p>With {@code 0}, the default, warm slots keep their image mapped and their keep-resident
     * bytes until they are reused or the engine closes, as in Wasmtime. With a positive timeout a
     * background thread of the engine ({@code wasmpool-idle-trim}, a daemon) looks every half
     * timeout (at most once per 10 ms) for memory and table slots unused for longer than the
     * timeout, removes their memory image and decommits every byte they hold, the keep-resident
     * prefix too. A trimmed slot stays warm but loses its affinity (its next tenant maps its own
     * image, as on a cold slot) and counts 0 resident bytes. A module's image itself (its memfd)
     * is released once no slot maps it and the module is closed.
     *
     * @param warmSlotIdleTimeout the idle time; default {@link Duration#ZERO} (never trim)
     * @return this builder
     */
    public Builder warmSlotIdleTimeout(Duration warmSlotIdleTimeout) {
      this.warmSlotIdleTimeout = warmSlotIdleTimeout;
      return this;
    }

    /**
     * Sets how long an instance may stay open before the engine logs it as a possible leak
     * (HikariCP's {@code leakDetectionThreshold}).
     *
     * <p>With {@code 0}, the default, nothing is recorded and an instantiation costs nothing
     * more. With a positive threshold every instantiation records the stack of the call that made
     * it, and a daemon thread of the engine ({@code wasmpool-leak-detector}) looks every half
     * threshold (at most once per 10 ms) for instances open longer than the threshold. Each is
     * logged once, a {@code WARNING} of the {@code dev.wasmpool.api.Engine} logger with that
     * stack ({@code "possible instance leak: an instance of module m has been open for more than
     * leakDetectionThreshold=2000 ms; it was instantiated on thread main at:"}); closed later, it
     * is logged again at {@code INFO}, "(unleaked)". A threshold below the longest time an
     * instance is legitimately kept reports instances that are not leaked.
     *
     * <p>Whatever this option, an instance that becomes unreachable without being closed (nothing
     * refers to it, its memories or its tables any more) has its slots reset and returned to the
     * pool once the garbage collector finds it, with a {@code WARNING} ("an instance of module m
     * became unreachable without being closed: its slots were reset and returned to the pool;
     * ..."), which carries the instantiation stack when this option is on. {@link
     * PoolMetrics.Counters#leaksReclaimed()} counts them.
     *
     * @param leakDetectionThreshold the longest time an instance may stay open before it is
     *     logged; default {@link Duration#ZERO} (never)
     * @return this builder
     */
    public Builder leakDetectionThreshold(Duration leakDetectionThreshold) {
      this.leakDetectionThreshold = leakDetectionThreshold;
      return this;
    }

    /**
     * Checks every option and creates the configuration; see the {@linkplain
     * PoolingAllocationConfig#PoolingAllocationConfig canonical constructor} for the rules. The
     * builder is left unchanged.
     *
     * @return the configuration
     * @throws IllegalArgumentException naming the first invalid option and its value
     * @throws NullPointerException if {@code memoryProtectionKeys} is {@code null}
     */
    public PoolingAllocationConfig build() {
      return new PoolingAllocationConfig(
          maxUnusedWarmSlots,
          decommitBatchSize,
          asyncStackKeepResident,
          linearMemoryKeepResident,
          tableKeepResident,
          totalComponentInstances,
          maxComponentInstanceSize,
          totalMemories,
          totalTables,
          totalStacks,
          totalCoreInstances,
          maxCoreInstanceSize,
          maxTablesPerModule,
          tableElements,
          maxMemoriesPerModule,
          maxMemorySize,
          memoryProtectionKeys,
          maxMemoryProtectionKeys,
          totalGcHeaps,
          acquireTimeout,
          warmSlotIdleTimeout,
          leakDetectionThreshold);
    }
  }
}
