package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.TableType;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.limits.InstanceLimits;
import dev.wasmpool.api.internal.limits.ModuleValidator;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.internal.memory.ModuleImage;
import dev.wasmpool.api.internal.memory.ModuleImages;
import dev.wasmpool.api.internal.mpk.KeySelection;
import dev.wasmpool.api.internal.table.TablePool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.ProtectionKey;
import java.util.List;

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

  /**
   * Creates the pools.
   *
   * @param backend the engine's backend
   * @param engine the engine configuration
   * @param config the pool configuration
   * @throws IllegalStateException if protection keys are required but missing, or a pool cannot
   *     be reserved
   */
  PoolingAllocator(Backend backend, EngineConfig engine, PoolingAllocationConfig config) {
    this.config = config;
    this.validator = new ModuleValidator(config);
    this.limits = InstanceLimits.of(config);
    this.queue = new DecommitQueue(config.decommitBatchSize());
    List<ProtectionKey> keys =
        KeySelection.select(config.memoryProtectionKeys(), config.maxMemoryProtectionKeys(), backend);
    this.memories = MemoryPool.create(backend, engine, config, keys, queue);
    try {
      this.tables = TablePool.create(backend, config, queue);
    } catch (RuntimeException e) {
      memories.close();
      throw e;
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
        module.hasImage(memoryIndex));
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
  public void purge(ModuleImages module) {
    memories.purge(module);
  }

  @Override
  public InstanceLimits limits() {
    return limits;
  }

  @Override
  public PoolMetrics metrics() {
    return limits.metrics(
        memories.liveMemories(),
        tables.liveTables(),
        memories.unusedWarmSlots(),
        tables.unusedWarmSlots(),
        memories.unusedBytesResident(),
        tables.unusedBytesResident());
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
    queue.flush();
    try {
      memories.close();
    } finally {
      tables.close();
    }
  }
}
