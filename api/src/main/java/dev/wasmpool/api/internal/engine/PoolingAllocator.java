package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.TableType;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.events.SlotKind;
import dev.wasmpool.api.internal.index.IndexAllocator;
import dev.wasmpool.api.internal.layout.MappingBudget;
import dev.wasmpool.api.internal.limits.InstanceLimits;
import dev.wasmpool.api.internal.limits.ModuleValidator;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.internal.memory.ModuleImage;
import dev.wasmpool.api.internal.memory.ModuleImages;
import dev.wasmpool.api.internal.mpk.KeySelection;
import dev.wasmpool.api.internal.mpk.ProtectionMask;
import dev.wasmpool.api.internal.table.TablePool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import java.util.List;
import java.util.function.LongSupplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The pooling strategy: memories from the {@link MemoryPool}, tables from the {@link TablePool},
 * every count bounded by the {@link PoolingAllocationConfig}, resets batched by one {@link
 * DecommitQueue}.
 */
final class PoolingAllocator implements InstanceAllocator {

  /** The most pages any memory may have (a 32-bit memory's 4 GiB). */
  static final long MAX_PAGES = 65536;

  private final PoolingAllocationConfig config;
  private final ModuleValidator validator;
  private final InstanceLimits limits;
  private final DecommitQueue queue;
  private final MemoryPool memories;
  private final TablePool tables;
  private final LongSupplier clock;
  private final @Nullable IdleTrimmer trimmer;
  /** The pools' claim on the process's mappings; {@code null} without virtual reservations. */
  private final MappingBudget.@Nullable Claim mappings;

  /** The rights register when the pool is striped with keys, else {@code null}. */
  private final @Nullable ProtectionKeys register;

  /** Guest rights per stripe key number; {@code null} where no stripe has the key. */
  private final @Nullable GuestRights[] guestRights;

  /** The guest rights of an instance without memories: key 0 only. */
  private final GuestRights noMemoryRights;

  /**
   * Creates the pools.
   *
   * @param backend the engine's backend
   * @param engine the engine configuration
   * @param config the pool configuration
   * @throws IllegalStateException if protection keys are required but missing, or a pool cannot
   *     be reserved
   * @throws IllegalArgumentException if the pools do not fit the address space or the process's
   *     mapping budget ({@link MappingBudget})
   */
  PoolingAllocator(Backend backend, EngineConfig engine, PoolingAllocationConfig config) {
    this(backend, engine, config, System::nanoTime);
  }

  /**
   * Creates the pools with a clock for idle trimming (tests pass a manual one).
   *
   * @param backend the engine's backend
   * @param engine the engine configuration
   * @param config the pool configuration
   * @param clock nanoseconds, monotonic: stamps slot frees and drives {@link #trimIdle}
   */
  PoolingAllocator(Backend backend, EngineConfig engine, PoolingAllocationConfig config, LongSupplier clock) {
    this.config = config;
    this.clock = clock;
    this.validator = new ModuleValidator(config);
    this.limits = InstanceLimits.of(config);
    this.queue = new DecommitQueue(backend, config.decommitBatchSize());
    List<ProtectionKey> keys =
        KeySelection.select(config.memoryProtectionKeys(), config.maxMemoryProtectionKeys(), backend);
    LongSupplier stamps = config.warmSlotIdleTimeout().isPositive() ? clock : () -> 0L;
    // Without virtual reservations the pools map nothing themselves.
    MappingBudget.Claim claim =
        backend.capabilities().virtualReservation()
            ? MappingBudget.process().claim(config.totalMemories(), config.totalTables())
            : null;
    this.mappings = claim;
    try {
      // Every slab, also those reserved later as the pool grows, is covered by the claim.
      this.memories =
          MemoryPool.create(backend, engine, config, keys, queue, stamps, slab -> cover(claim, slab));
    } catch (RuntimeException e) {
      release(claim);
      throw e;
    }
    boolean striped = memories.stripeCount() > 1;
    this.register = striped ? backend.protectionKeys() : null;
    this.guestRights = new GuestRights[ProtectionMask.MAX_KEY + 1];
    this.noMemoryRights =
        striped ? GuestRights.of(backend.protectionKeys(), null) : GuestRights.UNRESTRICTED;
    if (striped) {
      for (ProtectionKey key : keys) {
        guestRights[key.value()] = GuestRights.of(backend.protectionKeys(), key);
      }
      // The creating thread (which pkey_alloc gave the keys) and every other thread that enters
      // the engine get host rights; see enterHost().
      backend.protectionKeys().exchangeRights(0);
    }
    try {
      this.tables = TablePool.create(backend, config, queue, stamps);
    } catch (RuntimeException e) {
      try {
        memories.close();
      } finally {
        release(claim);
      }
      throw e;
    }
    if (claim != null) {
      // With virtual reservations every table slot lives in one reservation.
      cover(claim, config.totalTables() > 0 ? tables.reservation(0) : null);
    }
    this.trimmer = IdleTrimmer.start(config.warmSlotIdleTimeout(), this::trimIdle);
  }

  /**
   * Trims every warm slot unused for longer than {@code warmSlotIdleTimeout} (see {@link
   * PoolingAllocationConfig#warmSlotIdleTimeout()}); run by the engine's trimming thread.
   *
   * @return how many memory and table slots were trimmed; 0 when trimming is off
   */
  int trimIdle() {
    if (!config.warmSlotIdleTimeout().isPositive()) {
      return 0;
    }
    long cutoff = clock.getAsLong() - config.warmSlotIdleTimeout().toNanos();
    return memories.trimIdle(cutoff) + tables.trimIdle(cutoff);
  }

  private static void cover(MappingBudget.@Nullable Claim claim, @Nullable Reservation reservation) {
    if (claim != null && reservation != null) {
      claim.cover(reservation.segment().address(), reservation.byteSize());
    }
  }

  private static void release(MappingBudget.@Nullable Claim claim) {
    if (claim != null) {
      claim.close();
    }
  }

  @Override
  public void validate(ModuleDescriptor module) {
    validator.validate(module);
  }

  @Override
  public int stripeCount() {
    return memories.stripeCount();
  }

  @Override
  public GuestRights guestRights(MemoryGrant[] memories) {
    if (register == null) {
      return GuestRights.UNRESTRICTED;
    }
    ProtectionKey key = memories.length == 0 ? null : memories[0].slot().key();
    GuestRights rights = key == null ? null : guestRights[key.value()];
    return rights == null ? noMemoryRights : rights;
  }

  @Override
  public void enterHost() {
    if (register != null) {
      register.exchangeRights(0);
    }
  }

  @Override
  public int nextStripe() {
    return memories.nextStripe();
  }

  @Override
  public MemoryGrant acquireMemory(
      ModuleImages module, ModuleDescriptor descriptor, int memoryIndex, int stripe) {
    MemoryType type = descriptor.memories().get(memoryIndex);
    int slotIndex = memories.acquire(stripe, module.key(memoryIndex));
    ImageSlot slot = memories.slot(slotIndex);
    try {
      ModuleImage image = module.image(memoryIndex);
      slot.instantiate(type.minimumPages() * MemoryType.PAGE_SIZE, image);
    } catch (RuntimeException e) {
      memories.abandon(slotIndex, module, memoryIndex);
      throw e;
    }
    return new MemoryGrant(
        slotIndex,
        slot,
        type.minimumPages(),
        maximumPages(type, memories.maxMemoryBytes()),
        module.hasImage(memoryIndex),
        switch (memories.takenBy(slotIndex)) {
          case IndexAllocator.TAKEN_AFFINE -> SlotKind.AFFINE;
          case IndexAllocator.TAKEN_WARM -> SlotKind.WARM;
          default -> SlotKind.COLD;
        });
  }

  /**
   * The most pages a pooled memory may grow to: its declared maximum, {@code maxMemorySize} and a
   * 32-bit memory's 65536 pages, whichever is least.
   *
   * @param type the memory
   * @param maxMemoryBytes {@code maxMemorySize}
   * @return pages
   */
  static long maximumPages(MemoryType type, long maxMemoryBytes) {
    long declared = type.maximumPages().orElse(MAX_PAGES);
    return Math.min(Math.min(declared, maxMemoryBytes / MemoryType.PAGE_SIZE), MAX_PAGES);
  }

  @Override
  public void releaseMemory(ModuleImages module, int memoryIndex, MemoryGrant grant) {
    memories.release(grant.slotIndex(), module, memoryIndex);
  }

  @Override
  public void discardMemory(MemoryGrant grant) {
    // The slab is unmapped as a whole by close(); a reset would fault on the revoked slot.
  }

  @Override
  public void discardTable(TableGrant grant) {
    // As discardMemory.
  }

  @Override
  public TableGrant acquireTable(ModuleDescriptor descriptor, int tableIndex) {
    TableType type = descriptor.tables().get(tableIndex);
    int slot = tables.acquire();
    long max = Math.min(type.maximumElements().orElse(Long.MAX_VALUE), config.tableElements());
    return new TableGrant(slot, tables.reservation(slot), tables.offset(slot), type.minimumElements(), max);
  }

  @Override
  public void releaseTable(TableGrant grant) {
    tables.release(grant.slotIndex(), grant.maximumElements() * TablePool.ELEMENT_BYTES);
  }

  @Override
  public synchronized boolean relocate(ModuleImages module, MemoryGrant[] memoryGrants, TableGrant[] tableGrants) {
    // Spares first, for both pools, so that nothing is half done when a reservation fails.
    if (!memories.ensureSpares(memoryGrants.length) || !tables.ensureSpares(tableGrants.length)) {
      return false;
    }
    for (MemoryGrant grant : memoryGrants) {
      memories.relocate(grant.slotIndex());
    }
    for (TableGrant grant : tableGrants) {
      tables.relocate(grant.slotIndex());
    }
    for (int i = 0; i < memoryGrants.length; i++) {
      memories.release(memoryGrants[i].slotIndex(), module, i);
    }
    for (TableGrant grant : tableGrants) {
      tables.release(grant.slotIndex(), grant.maximumElements() * TablePool.ELEMENT_BYTES);
    }
    return true;
  }

  @Override
  public void retireRelocated(MemoryGrant[] memoryGrants, TableGrant[] tableGrants) {
    for (MemoryGrant grant : memoryGrants) {
      memories.spare(grant.slot());
    }
    for (TableGrant grant : tableGrants) {
      tables.spare(grant.reservation(), grant.offset());
    }
  }

  @Override
  public void purge(ModuleImages module) {
    memories.purge(module);
  }

  @Override
  public InstanceLimits limits() {
    return limits;
  }

  @Override
  public PoolMetrics metrics(long leaksReclaimed) {
    IndexAllocator.Counts m = memories.counts();
    IndexAllocator.Counts t = tables.counts();
    PoolMetrics.Counters counters =
        new PoolMetrics.Counters(
            m.affineTakes(),
            m.otherWarmTakes(),
            m.coldTakes(),
            t.otherWarmTakes() + t.affineTakes(),
            t.coldTakes(),
            m.pending() + t.pending(),
            memories.inlineResets() + tables.inlineResets(),
            memories.batchedResets() + tables.batchedResets(),
            queue.batches(),
            memories.exhaustions() + tables.exhaustions() + limits.coreInstances().exhaustions(),
            leaksReclaimed);
    return limits.metrics(
        m.live(), t.live(), m.unusedWarm(), t.unusedWarm(), m.unusedBytesResident(), t.unusedBytesResident(), counters);
  }

  /**
   * The memory pool, for tests.
   *
   * @return the pool
   */
  MemoryPool memoryPool() {
    return memories;
  }

  /**
   * The decommit queue, for tests.
   *
   * @return the queue
   */
  DecommitQueue decommitQueue() {
    return queue;
  }

  @Override
  public void close() {
    if (trimmer != null) {
      trimmer.close();
    }
    queue.flush();
    try {
      memories.close();
    } finally {
      try {
        tables.close();
      } finally {
        release(mappings);
      }
    }
  }
}
