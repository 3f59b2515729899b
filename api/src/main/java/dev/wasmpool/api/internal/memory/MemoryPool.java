package dev.wasmpool.api.internal.memory;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.internal.decommit.DecommitQueue;
import dev.wasmpool.api.internal.index.AffinityKey;
import dev.wasmpool.api.internal.index.IndexAllocator;
import dev.wasmpool.api.internal.layout.AddressSpace;
import dev.wasmpool.api.internal.layout.SlabConstraints;
import dev.wasmpool.api.internal.layout.SlabLayout;
import dev.wasmpool.api.internal.slots.SlotContents;
import dev.wasmpool.api.internal.slots.SlotPool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.Reservation;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
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
 * <p>Slots are handed out per stripe by a {@link SlotPool} keyed by {@link AffinityKey} (module,
 * memory index), which owns their lifecycle; each slot's contents are tracked by an {@link
 * ImageSlot}, which this class resets and purges for the slot pool ({@link SlotContents}).
 *
 * <p>Closing: {@link #release} hands the slot to its stripe's slot pool, which resets it
 * (keep-resident prefix written, the rest decommitted) inline or through the {@link
 * DecommitQueue} and frees it with its resident bytes. If the slot's module was closed the image
 * is removed first and any affine slot left is purged after the free; see {@link ModuleImages}.
 *
 * <p>Concurrency: thread-safe. Slot pools have their own locks; an {@link ImageSlot} is touched
 * only by the owner of its index.
 */
public final class MemoryPool implements AutoCloseable {

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
   * @param clock stamps slot frees for idle trimming
   * @return the pool
   * @throws IllegalStateException if the slab does not fit the address space or the backend
   *     refuses it ({@code "failed to create memory pool mapping"})
   */
  public static MemoryPool create(
      Backend backend,
      EngineConfig engine,
      PoolingAllocationConfig pool,
      List<ProtectionKey> keys,
      DecommitQueue queue,
      LongSupplier clock) {
    long page = backend.pageSize();
    long keep = roundUp(pool.linearMemoryKeepResident(), page);
    int total = pool.totalMemories();
    if (!backend.capabilities().virtualReservation()) {
      long slot = Math.max(page, roundUp(Math.min(engine.memoryReservation(), pool.maxMemorySize()), page));
      ImageSlot[] slots = new ImageSlot[total];
      boolean shrink = !backend.capabilities().lazyReset();
      for (int g = 0; g < total; g++) {
        slots[g] = new ImageSlot(null, 0, slot, shrink, null);
      }
      Stripe[] stripes = new Stripe[1];
      stripes[0] = new Stripe(0, stripePool(1, 0, total, pool, queue, slots, keep, clock), null);
      return new MemoryPool(backend, null, null, slot, stripes, slots, queue, keep, pool.maxMemorySize());
    }
    SlabLayout layout =
        SlabLayout.calculate(
            new SlabConstraints(
                engine.memoryReservation(),
                pool.maxMemorySize(),
                total,
                engine.memoryGuardSize(),
                engine.guardBeforeLinearMemory(),
                keys.size(),
                page));
    // Each slot may need three mappings (accessible, image, inaccessible rest), each guard one.
    AddressSpace.checkFits(
        layout, 3, 2, AddressSpace.userAddressSpaceBytes(), AddressSpace.maxMapCount());
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
      ImageSlot[] slots = new ImageSlot[total];
      Stripe[] stripes = new Stripe[stripeCount];
      for (int s = 0; s < stripeCount; s++) {
        int capacity = total <= s ? 0 : (total - s + stripeCount - 1) / stripeCount;
        stripes[s] =
            new Stripe(
                s,
                stripePool(stripeCount, s, capacity, pool, queue, slots, keep, clock),
                stripeCount > 1 ? keys.get(s) : null);
      }
      boolean shrink = engine.memoryGuardSize() > 0 || !backend.capabilities().lazyReset();
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
   * The stripe for the next instance: round-robin, so that the stores' memories spread over the
   * keys.
   *
   * @return a stripe number
   */
  public int nextStripe() {
    return stripes.length == 1 ? 0 : Math.floorMod(nextStripe.getAndIncrement(), stripes.length);
  }

  /**
   * The slot pool of one stripe, whose local slot {@code i} is global slot {@code i * stripeCount
   * + stripe}.
   */
  private static SlotPool stripePool(
      int stripeCount,
      int stripe,
      int capacity,
      PoolingAllocationConfig pool,
      DecommitQueue queue,
      ImageSlot[] slots,
      long keepResidentBytes,
      LongSupplier clock) {
    String kind = "memory stripe " + stripe;
    SlotContents contents =
        new SlotContents() {
          private ImageSlot slot(int local) {
            return slots[local * stripeCount + stripe];
          }

          @Override
          public long reset(int local) {
            ImageSlot s = slot(local);
            s.resetForReuse(keepResidentBytes);
            return s.residentBytes();
          }

          @Override
          public long reset(int local, DecommitBatch deferred) {
            ImageSlot s = slot(local);
            s.resetForReuse(keepResidentBytes, deferred);
            return s.residentBytes();
          }

          @Override
          public void decommitFailed(int local) {
            slot(local).markUnknown();
          }

          @Override
          public void trim(int local) {
            ImageSlot s = slot(local);
            s.purgeImage();
            s.resetForReuse(0);
          }

          @Override
          public long purge(int local) {
            ImageSlot s = slot(local);
            s.purgeImage();
            return s.residentBytes();
          }
        };
    return new SlotPool(kind, capacity, pool.maxUnusedWarmSlots(), queue, contents, clock);
  }

  /**
   * Takes a slot of a stripe for a memory by the seed's rules (an affine slot first). When the
   * stripe is full, flushes the decommit queue and tries again.
   *
   * @param stripe the stripe
   * @param key the memory's affinity key
   * @return the global slot index
   * @throws PoolExhaustedException {@code "maximum concurrent limit of N for memory stripe S
   *     reached"} if the stripe has no free slot
   * @throws BackendException if the slot's lazy reservation fails (the slot is given back)
   */
  public int acquire(int stripe, AffinityKey key) {
    Stripe s = stripes[stripe];
    int local = s.slots().acquire(key);
    int global = local * stripes.length + stripe;
    ImageSlot slot = slots[global];
    if (!slot.hasReservation()) {
      try {
        slot.attach(backend.reserve(slotBytes));
      } catch (RuntimeException e) {
        s.slots().abandon(local, 0);
        throw e;
      }
    }
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
    ImageSlot state = slots[slot];
    if (owner.isClosed()) {
      state.purgeImage();
    }
    Stripe s = stripes[slot % stripes.length];
    s.slots().release(slot / stripes.length);
    afterFree(s, owner, memoryIndex);
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
    ImageSlot state = slots[slot];
    ModuleImage image = state.image();
    if (state.state() == ImageSlot.State.UNKNOWN || image != null) {
      state.purgeImage();
    }
    Stripe s = stripes[slot % stripes.length];
    s.slots().abandon(slot / stripes.length, state.residentBytes());
    afterFree(s, owner, memoryIndex);
  }

  /**
   * Purges the slot just given back if its module closed meanwhile: the module's own purge ran
   * while the slot was in use and could not see it. Read after the release: pairs with {@link
   * ModuleImages#markClosed()} before {@link #purge(ModuleImages)}. A slot still pending in the
   * decommit queue is freed by the flush first.
   */
  private void afterFree(Stripe s, ModuleImages owner, int memoryIndex) {
    if (owner.isClosed()) {
      s.slots().flushQueue();
      s.slots().purge(owner.key(memoryIndex));
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
    for (int i = 0; i < module.memoryCount(); i++) {
      AffinityKey key = module.key(i);
      for (Stripe stripe : stripes) {
        stripe.slots().purge(key);
      }
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
   * The slot counts of every stripe, summed. Each stripe's counts are read at one moment.
   *
   * @return live, pending, warm and cold slots, resident bytes and the takes by rule
   */
  public IndexAllocator.Counts counts() {
    int live = 0;
    int pending = 0;
    int warm = 0;
    int cold = 0;
    long bytes = 0;
    long affine = 0;
    long otherWarm = 0;
    long coldTakes = 0;
    for (Stripe stripe : stripes) {
      IndexAllocator.Counts c = stripe.slots().counts();
      live += c.live();
      pending += c.pending();
      warm += c.unusedWarm();
      cold += c.cold();
      bytes += c.unusedBytesResident();
      affine += c.affineTakes();
      otherWarm += c.otherWarmTakes();
      coldTakes += c.coldTakes();
    }
    return new IndexAllocator.Counts(live, pending, warm, cold, bytes, affine, otherWarm, coldTakes);
  }

  /**
   * Trims the warm slots of every stripe freed before {@code cutoff}; see {@link
   * SlotPool#trimIdle}.
   *
   * @param cutoff a reading of the pool's clock
   * @return how many slots were trimmed
   */
  public int trimIdle(long cutoff) {
    int sum = 0;
    for (Stripe stripe : stripes) {
      sum += stripe.slots().trimIdle(cutoff);
    }
    return sum;
  }

  /**
   * Slot resets done at once, over all stripes.
   *
   * @return the count
   */
  public long inlineResets() {
    long sum = 0;
    for (Stripe stripe : stripes) {
      sum += stripe.slots().inlineResets();
    }
    return sum;
  }

  /**
   * Slot resets whose decommit went into a batch, over all stripes.
   *
   * @return the count
   */
  public long batchedResets() {
    long sum = 0;
    for (Stripe stripe : stripes) {
      sum += stripe.slots().batchedResets();
    }
    return sum;
  }

  /**
   * How often a memory slot could not be had, over all stripes.
   *
   * @return the count
   */
  public long exhaustions() {
    long sum = 0;
    for (Stripe stripe : stripes) {
      sum += stripe.slots().exhaustions();
    }
    return sum;
  }

  /**
   * Releases every reservation and the images the slots hold. Slots must be free (the engine
   * closes allocations first).
   */
  @Override
  public void close() {
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
   * Rounds up to a multiple of a power of two.
   *
   * @param value the value, not negative
   * @param page the power of two
   * @return the smallest multiple of {@code page} not below {@code value}
   */
  public static long roundUp(long value, long page) {
    return (value + page - 1) & -page;
  }
}
