package dev.wasmpool.api.internal.memory;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.MemoryType;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.index.AffinityKey;
import dev.wasmpool.api.internal.index.IndexAllocator;
import dev.wasmpool.api.internal.index.ThreadSlotCache;
import dev.wasmpool.api.internal.layout.AddressSpace;
import dev.wasmpool.api.internal.layout.SlabConstraints;
import dev.wasmpool.api.internal.layout.SlabLayout;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.Reservation;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.concurrent.atomic.LongAdder;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The pool of linear-memory slots.
 *
 * <p>Layout. With a backend whose reservations are virtual (Linux), all slots live in one slab
 * laid out by {@link SlabLayout}:
 *
 * <pre>
 *   [pre-guard][slot 0][slot 1] ... [slot N-1][post-guard]
 *               stripe 0 stripe 1 ... (slot g coloured with the key of stripe g % stripes)
 * </pre>
 *
 * Each slot is followed by the next one, which serves as its guard. Without virtual reservations
 * (the portable backend) each slot gets its own reservation of {@code min(memoryReservation,
 * maxMemorySize)} bytes on first use, with no guards: there is no hardware protection to make
 * them useful, and every access is bounds-checked by its segment anyway.
 *
 * <p>Slots are handed out per stripe by an {@link IndexAllocator} keyed by {@link AffinityKey}
 * (module, memory index); each slot's contents are tracked by an {@link ImageSlot}.
 *
 * <p>Closing: {@link #release} resets a slot (keep-resident prefix written, the rest decommitted)
 * inline or through the {@link DecommitQueue}, then frees it with its resident bytes; an inline
 * reset on a platform thread keeps the slot for that thread instead ({@link ThreadSlotCache}). If the
 * slot's module was closed the image is removed first and any affine slot left is purged after the
 * free; see {@link ModuleImages}.
 *
 * <p>Concurrency: thread-safe. Index allocators have their own locks; an {@link ImageSlot} is
 * touched only by the owner of its index.
 */
public final class MemoryPool implements AutoCloseable {

  /** A 32-bit memory's 65536 pages: the most any pooled memory grows to. */
  private static final long MAX_MEMORY_BYTES = 65536 * MemoryType.PAGE_SIZE;

  private final Backend backend;
  private final @Nullable Reservation slab;
  private final @Nullable SlabLayout layout;
  private final long slotBytes;
  private final Stripe[] stripes;
  private final ImageSlot[] slots;
  private final DecommitQueue queue;
  private final long keepResidentBytes;
  private final long maxMemoryBytes;
  private final AtomicInteger nextStripe = new AtomicInteger();
  /** Slots handed out; for metrics only, so striped: two threads allocating never share a line. */
  private final LongAdder live = new LongAdder();

  /** Each thread's last released slot, kept for it; see {@link ThreadSlotCache}. */
  private final ThreadSlotCache<KeptMemory> cache = new ThreadSlotCache<>();

  /** A memory slot kept for a thread, with what {@link #free} needs later. */
  private record KeptMemory(int slot, ModuleImages owner, int memoryIndex, long residentBytes)
      implements ThreadSlotCache.Kept {}

  private MemoryPool(
      Backend backend,
      @Nullable Reservation slab,
      @Nullable SlabLayout layout,
      long slotBytes,
      Stripe[] stripes,
      ImageSlot[] slots,
      DecommitQueue queue,
      long keepResidentBytes,
      long maxMemoryBytes) {
    this.backend = backend;
    this.slab = slab;
    this.layout = layout;
    this.slotBytes = slotBytes;
    this.stripes = stripes;
    this.slots = slots;
    this.queue = queue;
    this.keepResidentBytes = keepResidentBytes;
    this.maxMemoryBytes = maxMemoryBytes;
  }

  /**
   * Creates the pool: lays out and reserves the slab (virtual backends) and colours the stripes.
   *
   * @param backend the engine's backend
   * @param engine the engine configuration (reservation, guard)
   * @param pool the pool configuration
   * @param keys protection keys to stripe with; empty for no striping
   * @param queue the engine's decommit queue
   * @return the pool
   * @throws IllegalArgumentException if the slots do not fit the address space or their sizes
   *     overflow; the message names the options
   * @throws IllegalStateException if the backend refuses the slab ({@code "failed to create memory
   *     pool mapping"})
   */
  public static MemoryPool create(
      Backend backend,
      EngineConfig engine,
      PoolingAllocationConfig pool,
      List<ProtectionKey> keys,
      DecommitQueue queue) {
    long page = backend.pageSize();
    long keep = roundUp(pool.linearMemoryKeepResident(), page);
    int total = pool.totalMemories();
    if (!backend.capabilities().virtualReservation()) {
      // No memory grows beyond 4 GiB, so a larger reservation or maximum would only be unused.
      long bytes = Math.min(Math.min(engine.memoryReservation(), pool.maxMemorySize()), MAX_MEMORY_BYTES);
      long slot = Math.max(page, roundUp(bytes, page));
      // Every slot may be live and full at once: their sum must fit the address space too.
      AddressSpace.checkFits(
          layoutNamingOptions(() -> new SlabLayout(total, slot, 0, 0, 1), engine, pool),
          AddressSpace.userAddressSpaceBytes());
      ImageSlot[] slots = new ImageSlot[total];
      boolean shrink = !backend.capabilities().lazyReset();
      for (int g = 0; g < total; g++) {
        slots[g] = new ImageSlot(null, 0, slot, shrink, null);
      }
      Stripe[] stripes = {new Stripe(0, new IndexAllocator(total, pool.maxUnusedWarmSlots()), null)};
      return new MemoryPool(backend, null, null, slot, stripes, slots, queue, keep, pool.maxMemorySize());
    }
    SlabLayout layout =
        layoutNamingOptions(
            () ->
                SlabLayout.calculate(
                    new SlabConstraints(
                        engine.memoryReservation(),
                        pool.maxMemorySize(),
                        total,
                        engine.memoryGuardSize(),
                        engine.guardBeforeLinearMemory(),
                        keys.size(),
                        page)),
            engine,
            pool);
    AddressSpace.checkFits(layout, AddressSpace.userAddressSpaceBytes());
    Reservation slab = null;
    if (layout.totalSlabBytes() > 0) {
      try {
        slab = backend.reserve(layout.totalSlabBytes());
      } catch (BackendException e) {
        throw new IllegalStateException("failed to create memory pool mapping: " + e.getMessage(), e);
      }
    }
    try {
      int stripeCount = layout.numStripes();
      Stripe[] stripes = new Stripe[stripeCount];
      for (int s = 0; s < stripeCount; s++) {
        int capacity = total <= s ? 0 : (total - s + stripeCount - 1) / stripeCount;
        stripes[s] =
            new Stripe(
                s,
                new IndexAllocator(capacity, pool.maxUnusedWarmSlots()),
                stripeCount > 1 ? keys.get(s) : null);
      }
      boolean shrink = engine.memoryGuardSize() > 0 || !backend.capabilities().lazyReset();
      ImageSlot[] slots = new ImageSlot[total];
      for (int g = 0; g < total; g++) {
        ProtectionKey key = stripes[g % stripeCount].key();
        long offset = layout.slotOffset(g);
        slots[g] = new ImageSlot(slab, offset, layout.slotBytes(), shrink, key);
        if (key != null && slab != null) {
          slab.colour(offset, layout.slotBytes(), key);
        }
      }
      return new MemoryPool(
          backend, slab, layout, layout.slotBytes(), stripes, slots, queue, keep, pool.maxMemorySize());
    } catch (RuntimeException e) {
      if (slab != null) {
        slab.close();
      }
      throw e;
    }
  }

  /**
   * Makes a layout; when its sizes overflow, says which options made them so (the layout knows
   * sizes, not options).
   */
  private static SlabLayout layoutNamingOptions(
      Supplier<SlabLayout> layout, EngineConfig engine, PoolingAllocationConfig pool) {
    try {
      return layout.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          e.getMessage()
              + " (totalMemories="
              + pool.totalMemories()
              + ", memoryReservation="
              + engine.memoryReservation()
              + ", maxMemorySize="
              + pool.maxMemorySize()
              + ", memoryGuardSize="
              + engine.memoryGuardSize()
              + "); lower totalMemories, memoryReservation, maxMemorySize or memoryGuardSize",
          e);
    }
  }

  /**
   * The stripe for the next instance: round-robin, so that the stores' memories spread over the
   * keys.
   *
   * @return a stripe number
   */
  public int nextStripe() {
    return stripes.length == 1 ? 0 : Math.floorMod(nextStripe.getAndIncrement(), stripes.length);
  }

  /**
   * Takes a slot of a stripe for a memory, preferring one affine to it. When the stripe is full,
   * flushes the decommit queue and tries again.
   *
   * @param stripe the stripe
   * @param key the memory's affinity key
   * @return the global slot index
   * @throws PoolExhaustedException {@code "maximum concurrent limit of N for memory stripe S
   *     reached"} if the stripe has no free slot
   * @throws BackendException if the slot's lazy reservation fails (the slot is given back)
   */
  public int acquire(int stripe, AffinityKey key) {
    KeptMemory kept = cache.take();
    if (kept != null) {
      if (kept.slot() % stripes.length == stripe
          && key.equals(kept.owner().key(kept.memoryIndex()))
          && !kept.owner().isClosed()) {
        live.increment();
        return kept.slot();
      }
      // Another module's or stripe's: back to the allocator first, as without the cache.
      freeKept(kept);
    }
    for (KeptMemory left; (left = cache.pollEnded()) != null; ) {
      freeKept(left);
    }
    Stripe s = stripes[stripe];
    int local = s.allocator().alloc(key);
    while (local < 0 && (queue.flush() || cache.drain(this::freeKept))) {
      local = s.allocator().alloc(key);
    }
    if (local < 0) {
      throw new PoolExhaustedException("memory stripe " + stripe, s.allocator().capacity());
    }
    int global = local * stripes.length + stripe;
    ImageSlot slot = slots[global];
    if (!slot.hasReservation()) {
      try {
        slot.attach(backend.reserve(slotBytes));
      } catch (RuntimeException e) {
        s.allocator().free(local, 0);
        throw e;
      }
    }
    live.increment();
    return global;
  }

  /**
   * The state of a slot.
   *
   * @param slot the global slot index
   * @return its image slot
   */
  public ImageSlot slot(int slot) {
    return slots[slot];
  }

  /**
   * Resets a slot a tenant is done with and returns it to its stripe.
   *
   * @param slot the global slot index from {@link #acquire}
   * @param owner the module the slot was acquired for
   * @param memoryIndex the memory's index in that module
   */
  public void release(int slot, ModuleImages owner, int memoryIndex) {
    live.decrement();
    ImageSlot state = slots[slot];
    if (owner.isClosed()) {
      state.purgeImage();
    }
    if (queue.immediate()) {
      state.resetForReuse(keepResidentBytes);
      keepOrFree(slot, owner, memoryIndex, state.residentBytes());
    } else {
      queue.submit(new MemoryReset(slot, owner, memoryIndex));
    }
  }

  /**
   * Gives back a slot whose instantiation failed, without a reset: a failed slot is unknown and
   * erased before reuse; otherwise nothing was written. Removes a foreign image so that no image
   * stays in a slot affine to another module.
   *
   * @param slot the global slot index
   * @param owner the module it was acquired for
   * @param memoryIndex the memory's index in that module
   */
  public void abandon(int slot, ModuleImages owner, int memoryIndex) {
    live.decrement();
    ImageSlot state = slots[slot];
    ModuleImage image = state.image();
    if (state.state() == ImageSlot.State.UNKNOWN || image != null) {
      state.purgeImage();
    }
    free(slot, state.residentBytes(), owner, memoryIndex);
  }

  /** Keeps a reset slot for this thread, or frees it when the thread keeps one already. */
  private void keepOrFree(int slot, ModuleImages owner, int memoryIndex, long residentBytes) {
    KeptMemory kept = new KeptMemory(slot, owner, memoryIndex, residentBytes);
    if (!owner.isClosed() && cache.put(kept)) {
      // The module's close marks it closed, then drains every cache (purge): so either that drain
      // finds this slot, or this thread sees the module closed and frees (and purges) it itself.
      if (!owner.isClosed() || !cache.takeBack(kept)) {
        return;
      }
    }
    free(slot, residentBytes, owner, memoryIndex);
  }

  private void freeKept(KeptMemory kept) {
    free(kept.slot(), kept.residentBytes(), kept.owner(), kept.memoryIndex());
  }

  private void resetAndFree(int slot, ModuleImages owner, int memoryIndex) {
    ImageSlot state = slots[slot];
    state.resetForReuse(keepResidentBytes);
    free(slot, state.residentBytes(), owner, memoryIndex);
  }

  private void free(int slot, long residentBytes, ModuleImages owner, int memoryIndex) {
    Stripe s = stripes[slot % stripes.length];
    s.allocator().free(slot / stripes.length, residentBytes);
    // Read after the free: pairs with ModuleImages.markClosed() before purge(); see ModuleImages.
    if (owner.isClosed()) {
      purge(s, owner.key(memoryIndex));
    }
  }

  /**
   * Removes a closed module's image from every free slot affine to it and clears their affinity
   * (the seed change "clear affine slots when dropping a Module"). Flushes the decommit queue
   * first, so that queued slots are returned (and purged) too.
   *
   * @param module the closed module
   */
  public void purge(ModuleImages module) {
    assert module.isClosed();
    queue.flush();
    cache.drain(this::freeKept);
    for (int i = 0; i < module.memoryCount(); i++) {
      AffinityKey key = module.key(i);
      for (Stripe stripe : stripes) {
        purge(stripe, key);
      }
    }
  }

  private void purge(Stripe stripe, AffinityKey key) {
    int local;
    while ((local = stripe.allocator().allocAffineAndClearAffinity(key)) >= 0) {
      ImageSlot state = slots[local * stripes.length + stripe.index()];
      state.purgeImage();
      stripe.allocator().free(local, state.residentBytes());
    }
  }

  /**
   * The most bytes a memory may grow to in a slot.
   *
   * @return {@code maxMemorySize} in bytes
   */
  public long maxMemoryBytes() {
    return maxMemoryBytes;
  }

  /**
   * The number of stripes.
   *
   * @return 1 without protection keys
   */
  public int stripeCount() {
    return stripes.length;
  }

  /**
   * A stripe.
   *
   * @param index the stripe's number
   * @return the stripe
   */
  public Stripe stripe(int index) {
    return stripes[index];
  }

  /**
   * The slab layout.
   *
   * @return the layout, or {@code null} when slots are reserved one by one
   */
  public @Nullable SlabLayout layout() {
    return layout;
  }

  /**
   * The slab.
   *
   * @return the reservation, or {@code null} when slots are reserved one by one
   */
  public @Nullable Reservation slab() {
    return slab;
  }

  /**
   * Memories handed out and not released.
   *
   * @return the count
   */
  public int liveMemories() {
    return live.intValue();
  }

  /**
   * Free slots used before, over all stripes.
   *
   * @return the count
   */
  public int unusedWarmSlots() {
    int sum = 0;
    for (Stripe stripe : stripes) {
      sum += stripe.allocator().unusedWarmSlots();
    }
    return sum + cache.keptSlots();
  }

  /**
   * Bytes kept resident by free slots, over all stripes.
   *
   * @return the sum
   */
  public long unusedBytesResident() {
    long sum = 0;
    for (Stripe stripe : stripes) {
      sum += stripe.allocator().unusedBytesResident();
    }
    return sum + cache.keptBytes();
  }

  /**
   * Releases every reservation and the images the slots hold. Slots must be free (the engine
   * closes allocations first).
   */
  @Override
  public void close() {
    cache.drain(kept -> {}); // let go of the modules the kept slots name
    RuntimeException failure = null;
    if (slab != null) {
      failure = closeQuietly(slab, failure);
    }
    for (ImageSlot slot : slots) {
      if (slab == null && slot.hasReservation()) {
        failure = closeQuietly(slot.reservation(), failure);
      }
      slot.releaseImages();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static @Nullable RuntimeException closeQuietly(
      Reservation reservation, @Nullable RuntimeException failure) {
    try {
      reservation.close();
      return failure;
    } catch (RuntimeException e) {
      if (failure != null) {
        failure.addSuppressed(e);
        return failure;
      }
      return e;
    }
  }

  /**
   * Rounds up to a multiple of a power of two, saturating: options such as {@code
   * linearMemoryKeepResident} may be as large as {@link Long#MAX_VALUE}, meaning "everything".
   *
   * @param value the value, not negative
   * @param page the power of two
   * @return the smallest multiple of {@code page} not below {@code value}, or the largest multiple
   *     of {@code page} when that does not fit a {@code long}
   */
  public static long roundUp(long value, long page) {
    if (value > Long.MAX_VALUE - (page - 1)) {
      return Long.MAX_VALUE & -page;
    }
    return (value + page - 1) & -page;
  }

  /** A memory slot's reset waiting in the decommit queue. */
  private final class MemoryReset implements DecommitQueue.PendingReset {
    private final int slot;
    private final ModuleImages owner;
    private final int memoryIndex;

    MemoryReset(int slot, ModuleImages owner, int memoryIndex) {
      this.slot = slot;
      this.owner = owner;
      this.memoryIndex = memoryIndex;
    }

    @Override
    public int decommitRegions() {
      return slots[slot].decommitRegions(keepResidentBytes);
    }

    @Override
    public void resetAndRelease() {
      resetAndFree(slot, owner, memoryIndex);
    }
  }
}
