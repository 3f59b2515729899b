package dev.wasmpool.api;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.ResourcePermit;
import dev.wasmpool.api.internal.engine.Engines;

/**
 * A wasmpool engine: one memory backend, the pools (or the on-demand allocator) chosen by its
 * {@link EngineConfig}, and the modules registered with it.
 *
 * <p>A runtime binding registers each module once with {@link #register(ModuleDescriptor)} and then
 * asks the returned {@link PooledModule} for an {@link InstanceAllocation} per instance:
 *
 * <pre>{@code
 * try (Engine engine = Engine.create(EngineConfig.defaults());
 *     PooledModule module = engine.register(descriptor);
 *     InstanceAllocation instance = module.allocate()) {
 *   MemorySegment memory = instance.memories().get(0).segment();
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safety: every method may be called from any thread, except {@link #close()}, which
 * must not race with other calls on the engine, its modules or its allocations.
 */
public interface Engine extends AutoCloseable {

  /**
   * Creates an engine: selects the memory backend ({@link EngineConfig#backend()}, or the {@code
   * wasmpool.backend} system property when the configuration says {@code "auto"}) and, with the
   * pooling strategy, reserves every pool up front.
   *
   * @param config the configuration
   * @return the engine, owned by the caller, who closes it
   * @throws IllegalStateException if no backend can run here (the message lists the providers
   *     found), the configuration asks for protection keys this system lacks ({@code "mpk is
   *     disabled on this system"}), or the backend refuses a pool's reservation ({@code "failed to
   *     create memory pool mapping: ..."})
   * @throws IllegalArgumentException if the memory pool does not fit the address space or {@code
   *     vm.max_map_count} (the message names {@code totalMemories} and how many would fit)
   */
  static Engine create(EngineConfig config) {
    return Engines.create(config);
  }

  /**
   * Creates an engine with {@link EngineConfig#defaults()}: pooling with Wasmtime's default limits
   * on the best backend found.
   *
   * @return the engine, owned by the caller, who closes it
   * @throws IllegalStateException as {@link #create(EngineConfig)}
   */
  static Engine create() {
    return create(EngineConfig.defaults());
  }

  /**
   * Registers a module: checks it once against the pool's limits and gives it the identity slot
   * affinity is keyed by. Its memory images are built on first allocation.
   *
   * @param descriptor what the engine needs to know of the module
   * @return the registered module, owned by the caller, who closes it
   * @throws ModuleValidationException if the module does not fit the pooling configuration (too
   *     many memories or tables, a minimum size above the limits, a shared memory, or instance
   *     metadata above {@link PoolingAllocationConfig#maxCoreInstanceSize()})
   * @throws IllegalStateException if the engine was closed
   */
  PooledModule register(ModuleDescriptor descriptor) throws ModuleValidationException;

  /**
   * Takes one unit of a resource wasmpool counts but does not allocate itself (component
   * instances, execution stacks, GC heaps), so that an embedder that has such things can bound
   * them with the pool's limits and see them in {@link #metrics()}.
   *
   * @param resource what to take
   * @return the permit; closing it gives the unit back
   * @throws PoolExhaustedException if the resource's limit is reached (pooling strategy only)
   * @throws IllegalStateException if the engine was closed
   */
  ResourcePermit acquire(AccountedResource resource);

  /**
   * A snapshot of the pools' use.
   *
   * @return the current counts
   */
  PoolMetrics metrics();

  /**
   * The name of the memory backend in use.
   *
   * @return for example {@code "linux"} or {@code "portable"}
   */
  String backendName();

  /**
   * The configuration the engine was created with.
   *
   * @return the configuration
   */
  EngineConfig config();

  /**
   * Releases everything: closes allocations still open (their segments become unusable first),
   * closes modules, unmaps every pool and closes the backend. With assertions enabled ({@code
   * -ea}) it then fails with an {@link AssertionError} if any allocation or permit was still
   * live, since that is a leak in the caller. Later calls do nothing.
   *
   * <p>An allocation made by another thread that is still running (or closed from another thread
   * while its maker runs) is the exception: the JVM lets only that thread close the views it got
   * from {@link dev.wasmpool.api.binding.LinearMemory#localSegment()} and {@link
   * dev.wasmpool.api.binding.TableSlot#localElements()}, which runtime
   * bindings use. Then:
   *
   * <ul>
   *   <li>On a backend that can revoke memory (Linux) its slots are revoked now: every later access
   *       by that thread through those views fails with an {@link InternalError} ("a fault occurred
   *       in an unsafe memory access operation"; in JIT-compiled code it may be raised a little
   *       after the access) and reaches no memory. An access by native code, such as a downcall
   *       given the segment, is not caught and crashes the JVM.
   *   <li>On a backend that cannot (the portable one) that thread still reaches its own
   *       allocation's bytes, and only those, and its memory stays allocated.
   *   <li>The pools are unmapped and the backend closed when the last such thread has ended or
   *       closed its allocation; a virtual thread waits for those threads to end. Until then the
   *       engine's pools keep their address space reserved (revoked slots hold no memory) and
   *       their mappings counted against {@code vm.max_map_count}. This method does not wait.
   * </ul>
   */
  @Override
  void close();
}
