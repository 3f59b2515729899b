package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.ResourcePermit;
import dev.wasmpool.api.internal.events.PoolEvents;
import dev.wasmpool.api.internal.events.SlotKind;
import dev.wasmpool.api.internal.limits.CountLimit;
import dev.wasmpool.api.internal.memory.ImageSlot;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.internal.memory.ModuleImage;
import dev.wasmpool.api.internal.memory.ModuleImages;
import dev.wasmpool.api.internal.table.TablePool;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.Reservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Event;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The engine: composes an {@link InstanceAllocator} (pooling or on-demand) with module
 * registration, instance allocation and shutdown.
 *
 * <p>The flow of one instance: {@link #allocate} takes a core instance, then each memory
 * (instantiated in its slot: image in place, initial pages accessible) and each table, then binds
 * views of them to a fresh {@link Lifetime}. Any failure gives back everything taken so far. {@link
 * Allocation#close()} closes the arenas first and then calls {@link #release}, which hands each
 * slot back for reset.
 *
 * <p>Orphans: an allocation closed by another thread than the one that made it, while that thread
 * still runs, keeps the owner's confined views alive (only the owner can close them). Its slots
 * must not reach a next tenant before those views are dead, so the allocation waits in {@code
 * orphans} and is released by {@link #retireOrphans()}, which every allocation and every close
 * runs: on the owner thread it closes the confined arena, and an orphan whose owner has ended needs
 * nothing closed.
 *
 * <p>Closing the engine while an orphan's owner still runs (an allocation live on another thread
 * than the one closing): its memory cannot be unmapped under views that thread may still use, nor
 * left readable. So {@link #close()} revokes the orphan's slots ({@link Reservation#revoke}: every
 * later access fails in the accessing thread) and finishes, unmapping every pool and closing the
 * backend, once the last such owner has ended or closed its allocation; a virtual thread waits for
 * the owners to end. Until then the pools' address space stays reserved; revoked slots hold no
 * memory. A backend that cannot revoke (the portable one) keeps the orphans' memory instead, and
 * the owner reaches its own bytes until then.
 *
 * <p>Concurrency: thread-safe, except that {@link #close()} must not race with other operations.
 * Live allocations and modules are tracked in concurrent sets so that close can finish them.
 */
final class EngineImpl implements Engine {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());

  /** How long the close's waiting thread waits for one owner before it looks at all again. */
  private static final Duration OWNER_WAIT_STEP = Duration.ofSeconds(1);

  private static final MemoryGrant[] NO_MEMORIES = {};
  private static final TableGrant[] NO_TABLES = {};

  private final EngineConfig config;
  private final Backend backend;
  private final InstanceAllocator allocator;
  private final AtomicLong nextModuleId = new AtomicLong();
  private final Set<RegisteredModule> modules = ConcurrentHashMap.newKeySet();
  /**
   * Allocations not closed yet. Sized so that the few live at once fall into different cache lines
   * of the table: at the default 16 bins every add and remove of two threads wrote one line.
   */
  private final Set<Allocation> live = ConcurrentHashMap.newKeySet(1024);
  private final Set<ModuleImage> openImages = ConcurrentHashMap.newKeySet();

  /** Closed allocations whose owner's local views may still be in use; see the class comment. */
  private final ConcurrentLinkedQueue<Allocation> orphans = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  /** Set when {@link #close()} begins: orphans made by the close itself are not relocated. */
  private volatile boolean closing;

  /** Waits for slots of a full pool; {@code null} without an {@code acquireTimeout}. */
  private final @Nullable BackPressure backPressure;

  /**
   * Set by {@link #close()} before it revokes the orphans left: a retired orphan's slots are then
   * discarded rather than reset for reuse.
   */
  private volatile boolean discardOrphans;

  /** Set by {@link #close()} once the orphans left are revoked: the last one to retire finishes. */
  private volatile boolean revocationDone;

  /** Whether the pools were unmapped and the backend closed; the shutdown's last step runs once. */
  private final AtomicBoolean finished = new AtomicBoolean();

  /** Reports instances left open and reclaims unreachable ones; wraps every allocation handed out. */
  private final LeakDetector leaks;

  EngineImpl(EngineConfig config, Backend backend, InstanceAllocator allocator) {
    this(config, backend, allocator, new LeakDetector(leakDetectionThreshold(config)));
  }

  /**
   * An engine with a given leak detector (tests pass one on a manual clock).
   *
   * @param config the configuration
   * @param backend the backend, which the engine owns
   * @param allocator the strategy's allocator
   * @param leaks the leak detector, which the engine closes
   */
  EngineImpl(EngineConfig config, Backend backend, InstanceAllocator allocator, LeakDetector leaks) {
    this.leaks = leaks;
    this.config = config;
    this.backend = backend;
    this.allocator = allocator;
    this.backPressure =
        config.allocationStrategy() instanceof AllocationStrategy.Pooling pooling
                && pooling.config().acquireTimeout().isPositive()
            ? new BackPressure(pooling.config().acquireTimeout().toNanos())
            : null;
    LOG.log(
        System.Logger.Level.INFO,
        "wasmpool engine started: backend {0}, {1}, decommits: {2}",
        backend.name(),
        config.allocationStrategy(),
        backend.decommitMethod());
    LOG.log(System.Logger.Level.DEBUG, "wasmpool engine configuration: {0}", config);
  }

  /**
   * Whether the backend moves a reservation's storage when it grows (no virtual reservations), so
   * that memories keep their views by growth generation ({@link ViewGenerations}).
   *
   * @return {@code true} on the portable backend
   */
  boolean storageMoves() {
    return !backend.capabilities().virtualReservation();
  }

  /** {@code leakDetectionThreshold}: an option of the pooling strategy, zero with on-demand. */
  static Duration leakDetectionThreshold(EngineConfig config) {
    return config.allocationStrategy() instanceof AllocationStrategy.Pooling pooling
        ? pooling.config().leakDetectionThreshold()
        : Duration.ZERO;
  }

  @Override
  public String backendName() {
    return backend.name();
  }

  @Override
  public EngineConfig config() {
    return config;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("the engine was closed");
    }
  }

  @Override
  public PooledModule register(ModuleDescriptor descriptor) {
    Objects.requireNonNull(descriptor, "descriptor");
    ensureOpen();
    allocator.validate(descriptor);
    long id = nextModuleId.incrementAndGet();
    String name = descriptor.name();
    ModuleImages images =
        new ModuleImages(
            id,
            descriptor,
            config.memoryInitCow(),
            backend,
            image -> {
              openImages.add(image);
              PoolEvents.imageCreated(name, id, image.offset(), image.byteSize());
            },
            openImages::remove);
    RegisteredModule module = new RegisteredModule(this, id, descriptor, images);
    modules.add(module);
    return module;
  }

  /**
   * Allocates an instance of a module; see the class comment. With an {@code acquireTimeout}, a
   * full pool makes the call wait for a release ({@link BackPressure}).
   */
  InstanceAllocation allocate(RegisteredModule module) {
    BackPressure waits = backPressure;
    if (waits == null) {
      return allocateOnce(module);
    }
    return waits.acquire(() -> allocateOnce(module), this::describeCounts);
  }

  /**
   * Instantiations waiting for a slot now (for tests).
   *
   * @return the count; 0 without an {@code acquireTimeout}
   */
  int waitingInstantiations() {
    BackPressure waits = backPressure;
    return waits == null ? 0 : waits.waiting();
  }

  /** The pools' counts for a timed-out wait's message. */
  private String describeCounts() {
    PoolMetrics m = metrics();
    return String.format(
        java.util.Locale.ROOT,
        "core instances: %d live; memories: %d live, %d warm; tables: %d live, %d warm; %d pending reset",
        m.coreInstances(),
        m.memories(),
        m.unusedWarmMemories(),
        m.tables(),
        m.unusedWarmTables(),
        m.counters().pendingResets());
  }

  private InstanceAllocation allocateOnce(RegisteredModule module) {
    Event event = PoolEvents.instantiateStarted();
    ensureOpen();
    allocator.enterHost();
    retireOrphans();
    ModuleImages images = module.images();
    if (images.isClosed()) {
      throw new IllegalStateException("the module " + module.descriptor().name() + " was closed");
    }
    ModuleDescriptor descriptor = module.descriptor();
    CountLimit cores = allocator.limits().coreInstances();
    try {
      cores.acquire();
    } catch (PoolExhaustedException e) {
      PoolEvents.exhausted(e.kind(), e.limit(), descriptor.name());
      throw e;
    }
    int memoryCount = images.memoryCount();
    int tableCount = descriptor.tables().size();
    MemoryGrant[] memories = memoryCount == 0 ? NO_MEMORIES : new MemoryGrant[memoryCount];
    TableGrant[] tables = tableCount == 0 ? NO_TABLES : new TableGrant[tableCount];
    boolean memoriesTaken = false;
    int tablesTaken = 0;
    Lifetime life = null;
    try {
      acquireMemories(images, descriptor, memories);
      memoriesTaken = true;
      for (; tablesTaken < tableCount; tablesTaken++) {
        tables[tablesTaken] = allocator.acquireTable(descriptor, tablesTaken);
      }
      life = new Lifetime();
      Allocation allocation =
          new Allocation(this, module, life, memories, tables, allocator.guestRights(memories));
      InstanceAllocation handle = leaks.track(allocation);
      live.add(allocation);
      PoolEvents.instantiated(
          event,
          descriptor.name(),
          module.id(),
          memoryCount,
          tableCount,
          memoryCount == 0 ? -1 : memories[0].slotIndex(),
          slotKind(memories));
      return handle;
    } catch (RuntimeException | Error e) {
      if (e instanceof PoolExhaustedException exhausted) {
        PoolEvents.exhausted(exhausted.kind(), exhausted.limit(), descriptor.name());
      }
      if (life != null) {
        life.close();
      }
      releaseTables(tables, tablesTaken, e);
      if (memoriesTaken) {
        releaseMemories(images, memories, memoryCount, e);
      }
      cores.release();
      throw e;
    }
  }

  /** How the first memory's slot was found (affine, warm, cold), for the instantiate event. */
  private static SlotKind slotKind(MemoryGrant[] memories) {
    return memories.length == 0 ? SlotKind.NONE : memories[0].kind();
  }

  /**
   * Takes every memory from one stripe, starting at the round-robin stripe and trying the others
   * when it is full.
   */
  private void acquireMemories(ModuleImages images, ModuleDescriptor descriptor, MemoryGrant[] out) {
    if (out.length == 0) {
      return;
    }
    int stripes = allocator.stripeCount();
    int first = allocator.nextStripe();
    PoolExhaustedException firstFailure = null;
    for (int attempt = 0; ; attempt++) {
      int stripe = (first + attempt) % stripes;
      int taken = 0;
      try {
        for (; taken < out.length; taken++) {
          out[taken] = allocator.acquireMemory(images, descriptor, taken, stripe);
        }
        return;
      } catch (PoolExhaustedException e) {
        releaseMemories(images, out, taken, e);
        // Report the stripe the instance was meant for.
        PoolExhaustedException report = firstFailure != null ? firstFailure : e;
        firstFailure = report;
        if (attempt + 1 >= stripes) {
          throw report;
        }
      } catch (RuntimeException | Error e) {
        releaseMemories(images, out, taken, e);
        throw e;
      }
    }
  }

  private void releaseMemories(ModuleImages images, MemoryGrant[] grants, int count, Throwable failure) {
    for (int i = 0; i < count; i++) {
      try {
        allocator.releaseMemory(images, i, grants[i]);
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
  }

  private void releaseTables(TableGrant[] grants, int count, Throwable failure) {
    for (int i = 0; i < count; i++) {
      try {
        allocator.releaseTable(grants[i]);
      } catch (RuntimeException e) {
        failure.addSuppressed(e);
      }
    }
  }

  /**
   * Takes an allocation closed by another thread than its owner, which still runs. Its slot
   * indexes are freed at once under fresh address ranges ({@link InstanceAllocator#relocate}), so
   * the pool does not shrink while the owner lives; the old ranges, which the owner's views may
   * still reach, wait with the orphan until {@link #retireOrphans()} finds those views dead. Where
   * the allocator cannot relocate, the slots themselves wait.
   */
  void orphaned(Allocation allocation) {
    if (!closing && allocator.relocate(allocation.registeredModule().images(), memoryGrants(allocation), tableGrants(allocation))) {
      allocation.markRelocated();
      allocator.limits().coreInstances().release();
      live.remove(allocation);
      BackPressure waits = backPressure;
      if (waits != null) {
        waits.released();
      }
    }
    orphans.add(allocation);
  }

  private static MemoryGrant[] memoryGrants(Allocation allocation) {
    AllocatedMemory[] memories = allocation.allocatedMemories();
    MemoryGrant[] grants = new MemoryGrant[memories.length];
    for (int i = 0; i < grants.length; i++) {
      grants[i] = memories[i].grant();
    }
    return grants;
  }

  private static TableGrant[] tableGrants(Allocation allocation) {
    AllocatedTable[] tables = allocation.allocatedTables();
    TableGrant[] grants = tables.length == 0 ? NO_TABLES : new TableGrant[tables.length];
    for (int i = 0; i < grants.length; i++) {
      grants[i] = tables[i].grant();
    }
    return grants;
  }

  /**
   * Releases the orphans whose owner's views are dead now: those owned by the calling thread (their
   * confined arenas are closed here) and those whose owner has ended. Cheap when there are none.
   * Failures to reset a slot are logged: the caller is not the one who closed the allocation.
   */
  void retireOrphans() {
    if (!orphans.isEmpty()) {
      for (Iterator<Allocation> it = orphans.iterator(); it.hasNext(); ) {
        Allocation orphan = it.next();
        if (orphan.tryRetire()) {
          it.remove();
          try {
            if (orphan.isRelocated()) {
              if (!discardOrphans) {
                allocator.retireRelocated(memoryGrants(orphan), tableGrants(orphan));
              }
            } else if (discardOrphans) {
              discard(orphan);
            } else {
              release(orphan);
            }
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "resetting the slots of a closed instance failed", e);
          }
        }
      }
    }
    if (revocationDone && orphans.isEmpty()) {
      RuntimeException failure = finish(null);
      if (failure != null) {
        LOG.log(System.Logger.Level.WARNING, "finishing the close of a wasmpool engine failed", failure);
      }
    }
  }

  /** Gives back a revoked orphan's slots without touching their memory; see the class comment. */
  private void discard(Allocation allocation) {
    for (AllocatedMemory memory : allocation.allocatedMemories()) {
      allocator.discardMemory(memory.grant());
    }
    for (AllocatedTable table : allocation.allocatedTables()) {
      allocator.discardTable(table.grant());
    }
    allocator.limits().coreInstances().release();
    live.remove(allocation);
  }

  /**
   * Revokes an orphan's slots so that its owner's accesses fail.
   *
   * @return {@code false} if the backend cannot revoke one of them
   */
  private boolean revoke(Allocation orphan) {
    boolean all = true;
    for (AllocatedMemory memory : orphan.allocatedMemories()) {
      ImageSlot slot = memory.grant().slot();
      all &= slot.reservation().revoke(slot.base(), slot.slotBytes());
    }
    for (AllocatedTable table : orphan.allocatedTables()) {
      TableGrant grant = table.grant();
      long bytes = MemoryPool.roundUp(grant.maximumElements() * TablePool.ELEMENT_BYTES, backend.pageSize());
      all &= grant.reservation().revoke(grant.offset(), bytes);
    }
    return all;
  }

  /**
   * Gives the calling thread host rights (every protection key) before an allocation's close
   * touches pool memory; nothing without protection keys.
   */
  void enterHost() {
    allocator.enterHost();
  }

  /** Hands a closed allocation's slots back; every view of it is already dead. */
  void release(Allocation allocation) {
    Event event = PoolEvents.closeStarted();
    RegisteredModule module = allocation.registeredModule();
    ModuleImages images = module.images();
    RuntimeException failure = null;
    AllocatedMemory[] memories = allocation.allocatedMemories();
    // Plain loops rather than attempt(): this runs on every close, without lambdas.
    for (int i = 0; i < memories.length; i++) {
      try {
        allocator.releaseMemory(images, i, memories[i].grant());
      } catch (RuntimeException e) {
        failure = chain(failure, e);
      }
    }
    for (AllocatedTable table : allocation.allocatedTables()) {
      try {
        allocator.releaseTable(table.grant());
      } catch (RuntimeException e) {
        failure = chain(failure, e);
      }
    }
    allocator.limits().coreInstances().release();
    live.remove(allocation);
    BackPressure waits = backPressure;
    if (waits != null) {
      waits.released();
    }
    PoolEvents.closed(
        event,
        module.descriptor().name(),
        module.id(),
        memories.length,
        allocation.allocatedTables().length,
        failure != null);
    if (failure != null) {
      throw failure;
    }
  }

  /** Runs a step of a shutdown; returns the first failure so far. */
  private static @Nullable RuntimeException attempt(@Nullable RuntimeException failure, Runnable step) {
    try {
      step.run();
      return failure;
    } catch (RuntimeException e) {
      return chain(failure, e);
    }
  }

  private static RuntimeException chain(@Nullable RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  /** Closes a module: purges its affine slots, then lets go of its images. */
  void closeModule(RegisteredModule module) {
    ModuleImages images = module.images();
    if (!images.markClosed()) {
      return;
    }
    Event event = PoolEvents.purgeStarted();
    try {
      if (!closed) {
        allocator.purge(images);
      }
    } finally {
      images.releaseImages();
      modules.remove(module);
      PoolEvents.modulePurged(event, module.descriptor().name(), module.id());
    }
  }

  @Override
  public ResourcePermit acquire(AccountedResource resource) {
    Objects.requireNonNull(resource, "resource");
    ensureOpen();
    try {
      return new Permit(resource, allocator.limits().of(resource));
    } catch (PoolExhaustedException e) {
      PoolEvents.exhausted(e.kind(), e.limit(), "");
      throw e;
    }
  }

  @Override
  public PoolMetrics metrics() {
    return allocator.metrics(leaks.reclaimed());
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    // No reclaim from now on: the loop below closes what is left.
    leaks.close();
    closing = true;
    retireOrphans();
    List<Allocation> leaked = new ArrayList<>(live);
    int leakedPermits = 0;
    for (AccountedResource resource : AccountedResource.values()) {
      leakedPermits += allocator.limits().of(resource).live();
    }
    // Every step runs even if an earlier one failed; the first failure is thrown at the end.
    RuntimeException failure = null;
    for (Allocation allocation : leaked) {
      failure = attempt(failure, allocation::close);
    }
    for (RegisteredModule module : new ArrayList<>(modules)) {
      failure = attempt(failure, module::close);
    }
    closed = true;
    retireOrphans();
    if (!orphans.isEmpty()) {
      // Unmapping now could crash the JVM on an access through a view an owner still holds.
      discardOrphans = true;
      int unrevoked = 0;
      for (Allocation orphan : orphans) {
        try {
          if (!revoke(orphan)) {
            unrevoked++;
          }
        } catch (RuntimeException e) {
          // Its owner retired it meanwhile and its reservation went, or the system refused.
          unrevoked++;
          LOG.log(System.Logger.Level.DEBUG, "revoking the slots of a closed instance failed", e);
        }
      }
      LOG.log(
          System.Logger.Level.WARNING,
          "wasmpool engine closed while {0} instance allocation(s) may still be used by the running"
              + " threads that made them ({1} of them not revocable on this backend, whose owners"
              + " still reach their own bytes): the pools are unmapped once those threads end or"
              + " close them",
          orphans.size(),
          unrevoked);
      revocationDone = true;
      retireOrphans();
      if (!finished.get()) {
        Thread.ofVirtual().name("wasmpool-engine-close").start(this::awaitOrphanOwners);
      }
      if (failure != null) {
        throw failure;
      }
      return;
    }
    failure = finish(failure);
    if (failure != null) {
      throw failure;
    }
    assert leaked.isEmpty() && leakedPermits == 0
        : "engine closed with "
            + leaked.size()
            + " instance allocation(s) and "
            + leakedPermits
            + " resource permit(s) still open (they were closed by the engine)";
  }

  /**
   * Waits for the orphans' owners to end and retires what it can, until none is left (the last
   * retirement finishes the close). The wait is cut into steps: the orphan waited for may be
   * retired by its owner, which runs on, while another's owner ends.
   */
  private void awaitOrphanOwners() {
    try {
      while (!orphans.isEmpty()) {
        Allocation next = orphans.peek();
        if (next != null) {
          next.awaitOwnerEnd(OWNER_WAIT_STEP);
        }
        retireOrphans();
      }
    } catch (InterruptedException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "interrupted while waiting for the owners of {0} revoked instance allocation(s): their"
              + " pools are unmapped once those threads close them",
          orphans.size());
    }
  }

  /**
   * The shutdown's last step, once no view of the pools can be used: unmaps every pool, closes
   * images left open and the backend. Runs once.
   *
   * @return the first failure so far
   */
  private @Nullable RuntimeException finish(@Nullable RuntimeException failure) {
    if (!finished.compareAndSet(false, true)) {
      return failure;
    }
    failure = attempt(failure, allocator::close);
    // Images of modules closed while a slot still mapped them, or left by failed slots: every
    // reservation is gone now, so nothing maps them.
    for (ModuleImage image : new ArrayList<>(openImages)) {
      failure = attempt(failure, image::forceClose);
    }
    return attempt(failure, backend::close);
  }

  @Override
  public String toString() {
    return "Engine[backend=" + backend.name() + ", " + config.allocationStrategy() + (closed ? ", closed" : "") + "]";
  }

  /** The allocator, for tests. */
  InstanceAllocator allocator() {
    return allocator;
  }

  /**
   * Number of allocations not closed yet.
   *
   * @return the count
   */
  int liveAllocations() {
    return live.size();
  }
}
