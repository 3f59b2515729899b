package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.ResourcePermit;
import dev.wasmpool.api.internal.limits.CountLimit;
import dev.wasmpool.api.internal.memory.ModuleImage;
import dev.wasmpool.api.internal.memory.ModuleImages;
import dev.wasmpool.spi.Backend;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
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
 * nothing closed. If the engine is closed while an orphan's owner still runs, the pools are left
 * mapped (their address space leaked, with a warning) rather than unmapped under views that thread
 * may still use.
 *
 * <p>Concurrency: thread-safe, except that {@link #close()} must not race with other operations.
 * Live allocations and modules are tracked in concurrent sets so that close can finish them.
 */
final class EngineImpl implements Engine {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());

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

  EngineImpl(EngineConfig config, Backend backend, InstanceAllocator allocator) {
    this.config = config;
    this.backend = backend;
    this.allocator = allocator;
    LOG.log(
        System.Logger.Level.INFO,
        "wasmpool engine started: backend {0}, {1}",
        backend.name(),
        config.allocationStrategy());
    LOG.log(System.Logger.Level.DEBUG, "wasmpool engine configuration: {0}", config);
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
    ModuleImages images =
        new ModuleImages(
            id, descriptor, config.memoryInitCow(), backend, openImages::add, openImages::remove);
    RegisteredModule module = new RegisteredModule(this, id, descriptor, images);
    modules.add(module);
    return module;
  }

  /** Allocates an instance of a module; see the class comment. */
  InstanceAllocation allocate(RegisteredModule module) {
    ensureOpen();
    retireOrphans();
    ModuleImages images = module.images();
    if (images.isClosed()) {
      throw new IllegalStateException("the module " + module.descriptor().name() + " was closed");
    }
    ModuleDescriptor descriptor = module.descriptor();
    CountLimit cores = allocator.limits().coreInstances();
    cores.acquire();
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
      Allocation allocation = new Allocation(this, module, life, memories, tables);
      live.add(allocation);
      return allocation;
    } catch (RuntimeException | Error e) {
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
   * Takes an allocation closed by another thread than its owner: its slots wait until {@link
   * #retireOrphans()} finds the owner's views dead.
   */
  void orphaned(Allocation allocation) {
    orphans.add(allocation);
  }

  /**
   * Releases the orphans whose owner's views are dead now: those owned by the calling thread (their
   * confined arenas are closed here) and those whose owner has ended. Cheap when there are none.
   * Failures to reset a slot are logged: the caller is not the one who closed the allocation.
   */
  void retireOrphans() {
    if (orphans.isEmpty()) {
      return;
    }
    for (Iterator<Allocation> it = orphans.iterator(); it.hasNext(); ) {
      Allocation orphan = it.next();
      if (orphan.tryRetire()) {
        it.remove();
        try {
          release(orphan);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "resetting the slots of a closed instance failed", e);
        }
      }
    }
  }

  /** Hands a closed allocation's slots back; every view of it is already dead. */
  void release(Allocation allocation) {
    ModuleImages images = allocation.registeredModule().images();
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
    try {
      if (!closed) {
        allocator.purge(images);
      }
    } finally {
      images.releaseImages();
      modules.remove(module);
    }
  }

  @Override
  public ResourcePermit acquire(AccountedResource resource) {
    Objects.requireNonNull(resource, "resource");
    ensureOpen();
    return new Permit(resource, allocator.limits().of(resource));
  }

  @Override
  public PoolMetrics metrics() {
    return allocator.metrics();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
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
      LOG.log(
          System.Logger.Level.WARNING,
          "wasmpool engine closed while {0} instance allocation(s), closed from another thread than"
              + " the one that made them, may still be used by that thread, which is running: the"
              + " pools stay mapped (their address space is leaked) instead of being unmapped under it",
          orphans.size());
      if (failure != null) {
        throw failure;
      }
      return;
    }
    failure = attempt(failure, allocator::close);
    // Images of modules closed while a slot still mapped them, or left by failed slots: every
    // reservation is gone now, so nothing maps them.
    for (ModuleImage image : new ArrayList<>(openImages)) {
      failure = attempt(failure, image::forceClose);
    }
    failure = attempt(failure, backend::close);
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
