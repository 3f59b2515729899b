package dev.wasmpool.api.internal.memory;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.MemoryType;
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
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
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

  /** Slots per slab (rounded up to whole stripes): how much the pool grows by at a time. */
  static final int SLAB_SLOTS = 16;

  /** A 32-bit memory's 65536 pages: the most any pooled memory grows to. */
  private static final long MAX_MEMORY_BYTES = 65536 * MemoryType.PAGE_SIZE;

  private final Backend backend;
  private final SlabLayout layout;
  private final int slotsPerSlab;
  private final long slotBytes;
  private final Stripe[] stripes;
  private final ImageSlot[] slots;
  private final DecommitQueue queue;
  private final long maxMemoryBytes;
  private final AtomicInteger nextStripe = new AtomicInteger();

  /** Told of every slab reserved (the mapping budget covers it). */
  private final Consumer<Reservation> onSlab;

  /** Whether a new tenant's smaller initial size shrinks a slot's accessible part. */
  private final boolean shrinkOnReuse;

  /** Free address ranges for relocated slots ({@link #relocate}); guarded by {@code this}. */
  private final java.util.ArrayDeque<ImageSlot> spares = new java.util.ArrayDeque<>();

  /** Reservations made for spares, closed with the pool; guarded by {@code this}. */
  private final List<Reservation> spareReservations = new java.util.ArrayList<>();

  /** Ranges relocated away and still with their orphan, for {@link #close()}; guarded by {@code this}. */
  private final List<ImageSlot> retiredRanges = new java.util.ArrayList<>();

  /**
   * The slabs reserved so far, by number: written under {@code this} by {@link #ensureSlab}, read
   * without a lock on every acquire (a volatile read, so two threads never meet on a monitor).
   */
  private final AtomicReferenceArray<@Nullable Reservation> slabs;

  private MemoryPool(
      Backend backend,
      SlabLayout layout,
      int slotsPerSlab,
      Stripe[] stripes,
      ImageSlot[] slots,
      DecommitQueue queue,
      long maxMemoryBytes,
      Consumer<Reservation> onSlab,
      boolean shrinkOnReuse) {
    this.backend = backend;
    this.onSlab = onSlab;
    this.shrinkOnReuse = shrinkOnReuse;
    this.layout = layout;
    this.slotsPerSlab = slotsPerSlab;
    this.slotBytes = layout.slotBytes();
    this.stripes = stripes;
    this.slots = slots;
    this.queue = queue;
    this.maxMemoryBytes = maxMemoryBytes;
    this.slabs = new AtomicReferenceArray<>(slotsPerSlab == 0 ? 0 : Math.ceilDiv(slots.length, slotsPerSlab));
  }

  /**
   * Creates the pool and reserves its first slab. The address-space and {@code vm.max_map_count}
   * checks apply to the pool at its largest, every slab reserved.
   *
   * <p>Elastic: the pool's slots are grouped in slabs of {@link #SLAB_SLOTS} (with a virtual
   * backend; one slot each without), each its own reservation laid out by {@link SlabLayout} with
   * its own guards. A slab is reserved when one of its slots is first handed out, so the address
   * space in use grows with the peak number of slots ever touched instead of being reserved up
   * front. Cold slots are taken lowest first, so slabs fill in order, and which slot the seed's
   * rules pick does not depend on the slabs.
   *
   * @param backend the engine's backend
   * @param engine the engine configuration (reservation, guard)
   * @param pool the pool configuration
   * @param keys protection keys to stripe with; empty for no striping
   * @param queue the engine's decommit queue
   * @param clock stamps slot frees for idle trimming
   * @param onSlab told of every slab the pool reserves, now or later
   * @return the pool
   * @throws IllegalArgumentException if the pool at its largest would not fit the address space
   *     or the mapping limit
   * @throws IllegalStateException if the backend refuses the first slab ({@code "failed to
   *     create memory pool mapping"})
   */
  public static MemoryPool create(
      Backend backend,
      EngineConfig engine,
      PoolingAllocationConfig pool,
      List<ProtectionKey> keys,
      DecommitQueue queue,
      LongSupplier clock,
      Consumer<Reservation> onSlab) {
    long page = backend.pageSize();
    long keep = roundUp(pool.linearMemoryKeepResident(), page);
    int total = pool.totalMemories();
    boolean virtual = backend.capabilities().virtualReservation();
    SlabLayout full;
    int perSlab;
    boolean shrink;
    if (virtual) {
      full =
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
      int stripes = full.numStripes();
      perSlab = total == 0 ? 0 : (int) Math.min(roundUp(Math.min(total, SLAB_SLOTS), stripes), roundUp(total, stripes));
      int slabCount = perSlab == 0 ? 0 : Math.ceilDiv(total, perSlab);
      // At its largest: every slab, each with its guards. (Mappings are the MappingBudget's.)
      int slabs = slabCount;
      SlabLayout largest =
          layoutNamingOptions(
              () ->
                  new SlabLayout(
                      total,
                      full.slotBytes(),
                      Math.multiplyExact(full.preSlabGuardBytes(), (long) slabs),
                      Math.multiplyExact(full.postSlabGuardBytes(), (long) slabs),
                      stripes),
              engine,
              pool);
      AddressSpace.checkFits(largest, AddressSpace.userAddressSpaceBytes());
      shrink = engine.memoryGuardSize() > 0 || !backend.capabilities().lazyReset();
    } else {
      // Without virtual memory a guard protects nothing: one unguarded slot per reservation. No
      // memory grows beyond 4 GiB, so a larger reservation or maximum would only be unused.
      long bytes = Math.min(Math.min(engine.memoryReservation(), pool.maxMemorySize()), MAX_MEMORY_BYTES);
      long slot = Math.max(page, roundUp(bytes, page));
      full = layoutNamingOptions(() -> new SlabLayout(total, slot, 0, 0, 1), engine, pool);
      // Every slot may be live and full at once: their sum must fit the address space too.
      AddressSpace.checkFits(full, AddressSpace.userAddressSpaceBytes());
      perSlab = total == 0 ? 0 : 1;
      shrink = !backend.capabilities().lazyReset();
    }
    SlabLayout slab = new SlabLayout(perSlab, full.slotBytes(), full.preSlabGuardBytes(), full.postSlabGuardBytes(), full.numStripes());
    int stripeCount = full.numStripes();
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
    for (int g = 0; g < total; g++) {
      ProtectionKey key = stripes[g % stripeCount].key();
      slots[g] =
          new ImageSlot(null, slab.slotOffset(g % perSlab), slab.slotBytes(), shrink, perSlab == 1, key);
    }
    MemoryPool created =
        new MemoryPool(backend, slab, perSlab, stripes, slots, queue, pool.maxMemorySize(), onSlab, shrink);
    if (total > 0) {
      try {
        created.ensureSlab(0);
      } catch (BackendException e) {
        throw new IllegalStateException("failed to create memory pool mapping: " + e.getMessage(), e);
      }
    }
    return created;
  }

  /**
   * Reserves slab {@code k} unless it is already, giving each of its slots the reservation and,
   * with protection keys, its colour.
   *
   * @throws BackendException if the backend refuses
   */
  private synchronized void ensureSlab(int k) {
    if (slabs.get(k) != null) {
      return;
    }
    int first = k * slotsPerSlab;
    int count = Math.min(slotsPerSlab, slots.length - first);
    SlabLayout here =
        new SlabLayout(count, layout.slotBytes(), layout.preSlabGuardBytes(), layout.postSlabGuardBytes(), layout.numStripes());
    Reservation r = backend.reserve(here.totalSlabBytes());
    try {
      for (int i = 0; i < count; i++) {
        ImageSlot slot = slots[first + i];
        ProtectionKey key = slot.key();
        if (key != null) {
          r.colour(slot.base(), slotBytes, key);
        }
      }
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
    for (int i = 0; i < count; i++) {
      slots[first + i].attach(r);
    }
    slabs.set(k, r);
    onSlab.accept(r);
  }

  /**
   * Makes sure {@code n} spare ranges are ready for {@link #relocate}, reserving what is missing
   * (each its own one-slot slab, with guards).
   *
   * @param n how many
   * @return {@code false} if the backend refused or the pool is striped by protection keys (a
   *     spare would need the right colour)
   */
  public synchronized boolean ensureSpares(int n) {
    if (n > 0 && stripes.length > 1) {
      return false;
    }
    try {
      while (spares.size() < n) {
        SlabLayout one =
            new SlabLayout(1, layout.slotBytes(), layout.preSlabGuardBytes(), layout.postSlabGuardBytes(), 1);
        Reservation r = backend.reserve(one.totalSlabBytes());
        spareReservations.add(r);
        onSlab.accept(r);
        spares.add(new ImageSlot(r, one.slotOffset(0), slotBytes, shrinkOnReuse, true, null));
      }
      return true;
    } catch (BackendException e) {
      return false;
    }
  }

  /**
   * Gives slot {@code slot} a spare range: its next tenants use the spare, while the range it had
   * stays with its last tenant, an orphan, until {@link #spare} takes it back. Call {@link
   * #ensureSpares} first.
   *
   * @param slot the global slot index, held by the caller
   */
  public synchronized void relocate(int slot) {
    ImageSlot fresh = spares.poll();
    if (fresh == null) {
      throw new IllegalStateException("no spare range: call ensureSpares first");
    }
    retiredRanges.add(slots[slot]);
    slots[slot] = fresh;
  }

  /**
   * Takes back a relocated orphan's old range once no view of it lives: trimmed (image removed,
   * every byte reset, nothing held), it waits as a spare for the next relocation.
   *
   * @param range the orphan's old slot
   */
  public synchronized void spare(ImageSlot range) {
    retiredRanges.remove(range); // identity: from now on it is a spare
    range.trim();
    spares.add(range);
  }

  /** Whether a slot's slab is reserved (after which its slots have their reservation). */
  private boolean slabReserved(int slot) {
    return slabs.get(slot / slotsPerSlab) != null;
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
          public long tenantBytes(int local) {
            return slot(local).accessibleBytes();
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
            slot(local).trim();
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
   * @throws BackendException if reserving the slot's slab fails (the slot is given back)
   */
  public int acquire(int stripe, AffinityKey key) {
    Stripe s = stripes[stripe];
    int local = s.slots().acquire(key);
    int global = local * stripes.length + stripe;
    if (!slabReserved(global)) {
      try {
        ensureSlab(global / slotsPerSlab);
      } catch (RuntimeException e) {
        s.slots().abandon(local, 0);
        throw e;
      }
    }
    return global;
  }

  /**
   * How a slot just acquired was found: by affinity, as another module's warm slot, or cold.
   *
   * @param slot the global slot index, held by the caller
   * @return one of {@link IndexAllocator}'s {@code TAKEN_} constants
   */
  public int takenBy(int slot) {
    return stripes[slot % stripes.length].slots().takenBy(slot / stripes.length);
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
      queue.flush();
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
   * The layout of one full slab.
   *
   * @return the layout; its {@code numSlots} is the slots per slab
   */
  public SlabLayout layout() {
    return layout;
  }

  /**
   * The first slab, reserved when the pool was made.
   *
   * @return the reservation, or {@code null} for a pool of no slots
   */
  public @Nullable Reservation slab() {
    return slabs.length() == 0 ? null : slabs.get(0);
  }

  /**
   * How many slabs are reserved now.
   *
   * @return the count
   */
  public int reservedSlabs() {
    int n = 0;
    for (int k = 0; k < slabs.length(); k++) {
      n += slabs.get(k) == null ? 0 : 1;
    }
    return n;
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
    return (int) overStripes(slots -> slots.trimIdle(cutoff));
  }

  /** Sums a figure over every stripe's slot pool. */
  private long overStripes(java.util.function.ToLongFunction<SlotPool> figure) {
    long sum = 0;
    for (Stripe stripe : stripes) {
      sum += figure.applyAsLong(stripe.slots());
    }
    return sum;
  }

  /**
   * Slot resets done at once, over all stripes.
   *
   * @return the count
   */
  public long inlineResets() {
    return overStripes(SlotPool::inlineResets);
  }

  /**
   * Slot resets whose decommit went into a batch, over all stripes.
   *
   * @return the count
   */
  public long batchedResets() {
    return overStripes(SlotPool::batchedResets);
  }

  /**
   * How often a memory slot could not be had, over all stripes.
   *
   * @return the count
   */
  public long exhaustions() {
    return overStripes(SlotPool::exhaustions);
  }

  /**
   * Releases every reservation and the images the slots hold. Slots must be free (the engine
   * closes allocations first).
   */
  @Override
  public void close() {
    RuntimeException failure = null;
    synchronized (this) {
      for (int k = 0; k < slabs.length(); k++) {
        Reservation r = slabs.get(k);
        if (r != null) {
          failure = closeQuietly(r, failure);
        }
      }
      for (Reservation r : spareReservations) {
        failure = closeQuietly(r, failure);
      }
      for (ImageSlot range : retiredRanges) {
        range.releaseImages();
      }
      for (ImageSlot range : spares) {
        range.releaseImages();
      }
    }
    for (ImageSlot slot : slots) {
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
}
