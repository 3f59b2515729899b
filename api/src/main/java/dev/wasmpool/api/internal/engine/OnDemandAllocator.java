package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.TableType;
import dev.wasmpool.api.internal.events.SlotKind;
import dev.wasmpool.api.internal.limits.InstanceLimits;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.internal.memory.ModuleImages;
import dev.wasmpool.api.internal.table.TablePool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.Reservation;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The on-demand strategy, the baseline pooling is compared against: every memory and table gets
 * its own reservation from the backend when an instance is allocated, and gives it back when the
 * instance closes. Nothing is kept between instances and nothing is bounded except by what the
 * backend refuses.
 *
 * <p>A memory's reservation is its declared maximum (at most 65536 pages), capped by {@code
 * memoryReservation} but never below its minimum; it grows in place up to that size. A table
 * without a declared maximum holds {@code max(minimum, 20000)} elements (the pooling default of
 * {@code tableElements}), since its storage is reserved whole.
 */
final class OnDemandAllocator implements InstanceAllocator {

  /** Elements of an on-demand table that declares no maximum (the pooling default). */
  static final long DEFAULT_TABLE_ELEMENTS = PoolingAllocationConfig.defaults().tableElements();

  private final Backend backend;
  private final EngineConfig config;
  private final InstanceLimits limits = InstanceLimits.unbounded();
  private final AtomicInteger liveMemories = new AtomicInteger();
  private final AtomicInteger liveTables = new AtomicInteger();

  OnDemandAllocator(Backend backend, EngineConfig config) {
    this.backend = backend;
    this.config = config;
  }

  @Override
  public void validate(ModuleDescriptor module) {
    // Nothing is bounded up front.
  }

  @Override
  public InstanceLimits limits() {
    return limits;
  }

  @Override
  public int nextStripe() {
    return 0;
  }

  @Override
  public int stripeCount() {
    return 1;
  }

  @Override
  public MemoryGrant acquireMemory(
      ModuleImages module, ModuleDescriptor descriptor, int memoryIndex, int stripe) {
    MemoryType type = descriptor.memories().get(memoryIndex);
    long page = backend.pageSize();
    long minimumBytes = type.minimumPages() * MemoryType.PAGE_SIZE;
    long declaredBytes = Math.min(type.maximumPages().orElse(PoolingAllocator.MAX_PAGES), PoolingAllocator.MAX_PAGES)
        * MemoryType.PAGE_SIZE;
    long reserveBytes = Math.max(minimumBytes, Math.min(declaredBytes, config.memoryReservation()));
    Reservation reservation = backend.reserve(Math.max(page, MemoryPool.roundUp(reserveBytes, page)));
    ImageSlot slot = new ImageSlot(reservation, 0, reservation.byteSize(), false, true, null);
    try {
      slot.instantiate(minimumBytes, module.image(memoryIndex));
    } catch (RuntimeException e) {
      slot.releaseImages();
      reservation.close();
      throw e;
    }
    liveMemories.incrementAndGet();
    return new MemoryGrant(
        -1,
        slot,
        type.minimumPages(),
        Math.min(reserveBytes / MemoryType.PAGE_SIZE, PoolingAllocator.MAX_PAGES),
        module.hasImage(memoryIndex),
        SlotKind.ON_DEMAND);
  }

  @Override
  public void releaseMemory(ModuleImages module, int memoryIndex, MemoryGrant grant) {
    discardMemory(grant);
  }

  /** Writes nothing in the slot, so it serves revoked slots as well. */
  @Override
  public void discardMemory(MemoryGrant grant) {
    liveMemories.decrementAndGet();
    grant.slot().releaseImages();
    grant.slot().reservation().close();
  }

  @Override
  public TableGrant acquireTable(ModuleDescriptor descriptor, int tableIndex) {
    TableType type = descriptor.tables().get(tableIndex);
    long max =
        type.maximumElements().orElse(Math.max(type.minimumElements(), DEFAULT_TABLE_ELEMENTS));
    long page = backend.pageSize();
    long bytes = Math.max(page, MemoryPool.roundUp(max * TablePool.ELEMENT_BYTES, page));
    Reservation reservation = backend.reserve(bytes);
    try {
      reservation.makeAccessible(0, bytes);
    } catch (RuntimeException e) {
      reservation.close();
      throw e;
    }
    liveTables.incrementAndGet();
    return new TableGrant(-1, reservation, 0, type.minimumElements(), max);
  }

  @Override
  public void releaseTable(TableGrant grant) {
    discardTable(grant);
  }

  @Override
  public void discardTable(TableGrant grant) {
    liveTables.decrementAndGet();
    grant.reservation().close();
  }

  @Override
  public void purge(ModuleImages module) {
    // No slot outlives its instance.
  }

  @Override
  public PoolMetrics metrics(long leaksReclaimed) {
    PoolMetrics.Counters counters =
        leaksReclaimed == 0
            ? PoolMetrics.Counters.NONE
            : new PoolMetrics.Counters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, leaksReclaimed);
    return limits.metrics(liveMemories.get(), liveTables.get(), 0, 0, 0, 0, counters);
  }

  @Override
  public void close() {
    // Every reservation belongs to an allocation, closed before the engine closes this.
  }

  @Override
  public boolean relocate(ModuleImages module, MemoryGrant[] memories, TableGrant[] tables) {
    return false; // each memory has its own reservation, freed when its owner's views are dead
  }

  @Override
  public void retireRelocated(MemoryGrant[] memories, TableGrant[] tables) {
    throw new IllegalStateException("on-demand memories are never relocated");
  }
}
