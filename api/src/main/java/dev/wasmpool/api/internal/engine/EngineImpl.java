package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.AccountedResource;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.InstanceAllocation;
import dev.wasmpool.api.ModuleDescriptor;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PooledModule;
import dev.wasmpool.api.ResourcePermit;
import dev.wasmpool.api.internal.limits.CountLimit;
import dev.wasmpool.api.internal.memory.ModuleImage;
import dev.wasmpool.api.internal.memory.ModuleImages;
import dev.wasmpool.spi.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The engine: composes an {@link InstanceAllocator} (pooling or on-demand) with module
 * registration, instance allocation and shutdown.
 *
 * <p>The flow of one instance: {@link #allocate} takes a core instance, then each memory
 * (instantiated in its slot: image in place, initial pages accessible) and each table, then binds
 * views of them to a fresh arena. Any failure gives back everything taken so far. {@link
 * Allocation#close()} closes the arena first and then calls {@link #release}, which hands each
 * slot back for reset.
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
  private final Set<Allocation> live = ConcurrentHashMap.newKeySet();
  private final Set<ModuleImage> openImages = ConcurrentHashMap.newKeySet();
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

  InstanceAllocator allocator() {
    return allocator;
  }

  Backend backend() {
    return backend;
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
    ModuleImages images = module.images();
    if (images.isClosed()) {
      throw new IllegalStateException("the module " + module.descriptor().name() + " was closed");
    }
    ModuleDescriptor descriptor = module.descriptor();
    CountLimit cores = allocator.coreInstances();
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

  /** Hands a closed allocation's slots back; its arena is already closed. */
  void release(Allocation allocation) {
    ModuleImages images = allocation.registeredModule().images();
    RuntimeException failure = null;
    AllocatedMemory[] memories = allocation.allocatedMemories();
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
    allocator.coreInstances().release();
    live.remove(allocation);
    if (failure != null) {
      throw failure;
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
    CountLimit limit = allocator.accounted(resource);
    limit.acquire();
    return new Permit(resource, limit);
  }

  @Override
  public PoolMetrics metrics() {
    return allocator.metrics();
  }

  @Override
  public String backendName() {
    return backend.name();
  }

  @Override
  public EngineConfig config() {
    return config;
  }

  /**
   * Number of allocations not closed yet.
   *
   * @return the count
   */
  int liveAllocations() {
    return live.size();
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    List<Allocation> leaked = new ArrayList<>(live);
    int leakedPermits = 0;
    for (AccountedResource resource : AccountedResource.values()) {
      leakedPermits += allocator.accounted(resource).live();
    }
    RuntimeException failure = null;
    for (Allocation allocation : leaked) {
      try {
        allocation.close();
      } catch (RuntimeException e) {
        failure = chain(failure, e);
      }
    }
    for (RegisteredModule module : new ArrayList<>(modules)) {
      try {
        module.close();
      } catch (RuntimeException e) {
        failure = chain(failure, e);
      }
    }
    closed = true;
    try {
      allocator.close();
    } catch (RuntimeException e) {
      failure = chain(failure, e);
    }
    // Images of modules closed while a slot still mapped them, or left by failed slots: every
    // reservation is gone now, so nothing maps them.
    for (ModuleImage image : new ArrayList<>(openImages)) {
      try {
        image.forceClose();
      } catch (RuntimeException e) {
        failure = chain(failure, e);
      }
    }
    try {
      backend.close();
    } catch (RuntimeException e) {
      failure = chain(failure, e);
    }
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
}
