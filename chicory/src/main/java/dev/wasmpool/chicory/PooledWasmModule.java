package dev.wasmpool.chicory;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Store;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.binding.InstanceSlots;
import dev.wasmpool.api.binding.PooledModule;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Chicory module loaded into a wasmpool {@link Engine}: checked against the pool's limits once,
 * with its memory image built once, ready to be instantiated many times from the pool.
 *
 * <pre>{@code
 * try (Engine engine = Engine.create();
 *     PooledWasmModule module = PooledWasmModule.load(engine, Parser.parse(wasm));
 *     PooledInstance instance = module.instantiate()) {
 *   long[] sum = instance.export("add").apply(1, 2);
 * }
 * }</pre>
 *
 * <p>Each instance's linear memories and tables come from the engine's pools; everything else
 * (functions, globals, imports, the machine) is Chicory's own. Instances run on Chicory's
 * interpreter unless the builder chose another machine, such as the runtime compiler ({@link
 * Builder#withCompiler()}), which then compiles the module once for all its instances.
 *
 * <p>{@link Builder#preinitialize(ImportValues, Consumer)} runs the module's initialisation once at
 * load and starts every instance from the snapshot it leaves (memories, globals, tables), so
 * instances skip the guest's own start-up.
 *
 * <p>Thread-safe: instances may be created from any thread. Closing the module purges its affine
 * slots; instances still open keep working until they close.
 */
public final class PooledWasmModule implements AutoCloseable {

  private final WasmModule module;
  private final ModuleShape shape;
  private final PooledModule pooled;
  private final Function<Instance, Machine> machineFactory;

  /**
   * The module instances are built from: {@link InstantiableModule}'s trimmed copy with the
   * interpreter or the runtime compiler (which compiles that copy), the loaded module with a
   * machine factory of the caller's, which may be bound to it.
   */
  private final WasmModule instantiable;
  private final Engine engine;

  /** Whether {@link #module} is a snapshot taken after a preinitialization. */
  private final boolean preinitialized;

  /** Set by {@link #close()}, under the lock of {@link #importHosts}. */
  private boolean closed;

  /** Per imported memory: its slots' module, registered with the engine at first use. */
  private final @Nullable PooledModule[] importHosts;

  private PooledWasmModule(
      Engine engine,
      WasmModule module,
      ModuleShape shape,
      PooledModule pooled,
      Function<Instance, Machine> machineFactory,
      WasmModule instantiable,
      boolean preinitialized) {
    this.engine = engine;
    this.module = module;
    this.shape = shape;
    this.pooled = pooled;
    this.machineFactory = machineFactory;
    this.instantiable = instantiable;
    this.preinitialized = preinitialized;
    this.importHosts = new PooledModule[shape.memoryImports().size()];
  }

  /**
   * Loads a module to run on Chicory's interpreter; equal to {@code builder(engine,
   * module).build()}.
   *
   * @param engine the engine whose pools the instances use
   * @param module the parsed (and by Chicory validated) module
   * @return the loaded module, owned by the caller, who closes it
   * @throws ModuleValidationException if the module does not fit the engine's pooling limits
   * @throws IllegalStateException if the engine was closed
   */
  public static PooledWasmModule load(Engine engine, WasmModule module) {
    return builder(engine, module).build();
  }

  /**
   * A builder to choose the module's name or machine before loading it.
   *
   * @param engine the engine whose pools the instances use
   * @param module the parsed module
   * @return a new builder
   */
  public static Builder builder(Engine engine, WasmModule module) {
    return new Builder(engine, module);
  }

  /**
   * Creates an instance from the pool, with no imports.
   *
   * @return the instance, owned by the caller, who closes it
   * @throws PoolExhaustedException if a pool has no free slot
   * @throws com.dylibso.chicory.wasm.ChicoryException if Chicory cannot link or instantiate the
   *     module (the slots are then returned)
   * @throws IllegalStateException if the module or the engine was closed
   * @throws dev.wasmpool.spi.BackendException if the backend fails to prepare a slot, for example
   *     {@code mmap ... ENOMEM} when the process is out of memory or of mappings; the slot is
   *     erased before its next use and nothing else is taken
   */
  public PooledInstance instantiate() {
    return instantiate(null);
  }

  /**
   * Creates an instance from the pool, letting the caller add to Chicory's {@link
   * Instance.Builder} first: imports ({@code withImportValues}), another machine ({@code
   * withMachineFactory}), {@code withMemoryLimits} (between the declared minimum and maximum),
   * {@code withStart(false)}, and so on. The memory and table factories are the pool's: {@code
   * options} must not replace them.
   *
   * <p>With the interpreter or {@link Builder#withCompiler()}, instances are built from a copy of
   * the module without the data segments no instruction names (the pool writes them from the
   * load-time plan; see {@link Instance#module()} of the instance), so a machine given here must
   * take {@code instance.module()} as it is, as {@code MachineFactoryCompiler::compile} does. A
   * machine bound to the loaded module, such as build-time compiled code, belongs in {@link
   * Builder#withMachineFactory}; given here it fails with {@link IllegalStateException}.
   *
   * <p>When the engine uses memory protection keys, host functions must come through {@link
   * #instantiate(ImportValues, Consumer)} and the machine through {@link
   * Builder#withMachineFactory}: those passed to Chicory's builder directly would run without the
   * switch of rights, so the instantiation then fails with {@link IllegalStateException}.
   *
   * @param options changes to the builder, for example {@code b -> b.withStart(false)}
   * @return the instance, owned by the caller, who closes it
   * @throws PoolExhaustedException if a pool has no free slot
   * @throws com.dylibso.chicory.wasm.ChicoryException if Chicory cannot link or instantiate the
   *     module, for example when the start function traps (the slots are then returned, reset)
   * @throws IllegalStateException if the module or the engine was closed, {@code options} set its
   *     own memory or table factory (build the instance with {@link #resources()} instead), or
   *     protection keys are in use and {@code options} gave Chicory host functions or a machine
   *     itself
   * @throws IllegalArgumentException if {@code withMemoryLimits} leaves the declared limits
   * @throws dev.wasmpool.spi.BackendException if the backend fails to prepare a slot, as {@link
   *     #instantiate()}
   */
  public PooledInstance instantiate(@Nullable Consumer<Instance.Builder> options) {
    return instantiate((ImportValues) null, options);
  }

  /**
   * Creates an instance from the pool with host functions, imported memories, tables, globals or
   * tags. With memory protection keys in use, each host function runs with the host's rights
   * (every key) while guest code calls it, so it may read and write any instance's memory; the
   * guest's rights come back when it returns or throws.
   *
   * @param imports the imports, as for {@code Instance.Builder.withImportValues}; they replace any
   *     that {@code options} sets; may be {@code null}
   * @param options further changes to Chicory's builder, as for {@link #instantiate(Consumer)};
   *     may be {@code null}
   * @return the instance, owned by the caller, who closes it
   * @throws PoolExhaustedException if a pool has no free slot
   * @throws com.dylibso.chicory.wasm.ChicoryException if Chicory cannot link or instantiate the
   *     module (the slots are then returned, reset)
   * @throws IllegalStateException as {@link #instantiate(Consumer)}
   * @throws IllegalArgumentException as {@link #instantiate(Consumer)}
   */
  public PooledInstance instantiate(
      @Nullable ImportValues imports, @Nullable Consumer<Instance.Builder> options) {
    InstanceAllocation allocation = pooled.allocate();
    InstanceBinder binder = new InstanceBinder(shape, pooled, allocation);
    try {
      GuestRights rights = allocation.guestRights();
      boolean switching = rights.restricts();
      Instance.Builder builder =
          Instance.builder(instantiable)
              .withMachineFactory(switching ? GuestMachine.factory(machineFactory, rights) : machineFactory)
              .withMemoryFactory(binder)
              .withTableFactory(binder);
      if (options != null) {
        options.accept(builder);
      }
      if (imports != null) {
        builder.withImportValues(switching ? HostFunctions.withHostRights(imports, rights) : imports);
      }
      Instance instance = build(builder);
      checkFactoriesUsed(binder);
      if (switching && !GuestMachine.switches(instance)) {
        throw new IllegalStateException(
            "the engine uses memoryProtectionKeys, so the machine must be chosen with"
                + " PooledWasmModule.Builder.withMachineFactory, not Instance.Builder.withMachineFactory");
      }
      return new PooledInstance(instance, binder);
    } catch (RuntimeException | Error e) {
      // A failed instantiation (link error, trap in start) returns its slots, reset, at once.
      try {
        binder.slots().release();
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Builds, naming the remedy when a machine of the options is bound to the loaded module. */
  private Instance build(Instance.Builder builder) {
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      boolean bound = "Instance module does not match factory module".equals(e.getMessage());
      if (bound && preinitialized) {
        throw new IllegalStateException(
            "module " + name() + ": a machine is bound to the module it was compiled from, but the instances of"
                + " a preinitialized module are of its snapshot; give a machine that takes instance.module() as"
                + " it is (Chicory's interpreter, MachineFactoryCompiler's factories, withCompiler())",
            e);
      }
      if (bound && instantiable != module) {
        throw new IllegalStateException(
            "module " + name() + ": the machine set with Instance.Builder.withMachineFactory is bound to the"
                + " loaded module, but instances are built from a copy without its unnamed data segments;"
                + " pass that machine to PooledWasmModule.Builder.withMachineFactory instead",
            e);
      }
      throw e;
    }
  }

  /** Fails when the instance's options replaced the pool's factories: its memories would not be pooled. */
  private void checkFactoriesUsed(InstanceBinder binder) {
    int memories = shape.descriptor().memories().size();
    if (binder.slots().memoriesTaken() < memories) {
      throw new IllegalStateException(
          "module "
              + name()
              + ": the options of instantiate set Instance.Builder.withMemoryFactory, which replaces"
              + " the pool's memories; build the instance with PooledWasmModule.resources() to use"
              + " the pool's factories with your own builder");
    }
    if (binder.slots().tablesTaken() < shape.tableCount()) {
      throw new IllegalStateException(
          "module "
              + name()
              + ": the options of instantiate set Instance.Builder.withTableFactory, which replaces"
              + " the pool's tables; build the instance with PooledWasmModule.resources() to use"
              + " the pool's factories with your own builder");
    }
  }

  /**
   * Pooled memories and tables for one instance the caller builds with Chicory's own {@code
   * Instance.builder(wasmModule())}; see {@link PooledResources}. Nothing is taken from the pool
   * until Chicory calls one of its factories.
   *
   * @return the resources, owned by the caller, who closes them once the instance is done
   * @throws IllegalStateException if the module was closed (checked when a slot is taken)
   */
  public PooledResources resources() {
    return new PooledResources(new InstanceBinder(shape, pooled, null));
  }

  /**
   * A memory from the pool for one of the module's imported memories, to pass in the instance's
   * {@code ImportValues}; see {@link ImportedMemory}. The first call registers the imported memory
   * with the engine, with the module's data for that memory as its image, so that its slots have
   * affinity with this module.
   *
   * @param importedMemoryIndex the index among the module's imported memories (0 for the first)
   * @return the memory, owned by the caller, who closes it
   * @throws IndexOutOfBoundsException if the module imports fewer memories
   * @throws ModuleValidationException if the imported memory does not fit the pool's limits
   * @throws PoolExhaustedException if a pool has no free slot
   * @throws IllegalStateException if the module or the engine was closed
   */
  public ImportedMemory importedMemory(int importedMemoryIndex) {
    ModuleShape.MemoryImportShape imported = shape.memoryImports().get(importedMemoryIndex);
    PooledModule host;
    synchronized (importHosts) {
      if (closed) {
        throw new IllegalStateException("the module " + name() + " was closed");
      }
      host = importHosts[importedMemoryIndex];
      if (host == null) {
        host = engine.register(imported.descriptor());
        importHosts[importedMemoryIndex] = host;
      }
    }
    InstanceSlots slots =
        new InstanceSlots(host, host.allocate(), "take a new ImportedMemory for each instance group");
    try {
      MemoryLimits limits = imported.limits();
      PooledMemory memory =
          slots.track(
              new PooledMemory(
                  slots.nextMemory(limits.initialPages(), limits.maximumPages()), limits, shape.data()));
      return new ImportedMemory(slots, memory, imported.module(), imported.name());
    } catch (RuntimeException | Error e) {
      slots.release();
      throw e;
    }
  }

  /**
   * Creates an instance from the pool, linked through a Chicory {@link Store}: its imports come
   * from {@code store.toImportValues()}, and the instance's exports are registered in the store
   * under {@code name}, so that modules instantiated later can import them (each of those pooled
   * too when instantiated this way).
   *
   * @param store the store to link with
   * @param name the name the instance's exports are registered under
   * @param options further changes to the builder, as for {@link #instantiate(Consumer)}
   * @return the instance, owned by the caller, who closes it (the store still names it then; an
   *     instance linked to a closed one fails with {@link IllegalStateException} when it uses its
   *     memory or table)
   * @throws PoolExhaustedException if a pool has no free slot
   * @throws com.dylibso.chicory.wasm.ChicoryException if Chicory cannot link or instantiate the
   *     module (the slots are then returned, reset)
   * @throws IllegalStateException if the module or the engine was closed
   */
  public PooledInstance instantiate(Store store, String name, @Nullable Consumer<Instance.Builder> options) {
    Objects.requireNonNull(name, "name");
    PooledInstance instance = instantiate(store.toImportValues(), options);
    store.register(name, instance.instance());
    return instance;
  }

  /**
   * The Chicory module the instances are built from.
   *
   * @return the module as parsed; for a preinitialized module, the snapshot: the parsed module with
   *     its state after initialisation written back (see {@link Builder#preinitialize(ImportValues,
   *     Consumer)}), whose instances run no start function
   */
  public WasmModule wasmModule() {
    return module;
  }

  /**
   * Whether the instances start from a snapshot taken after an initialisation ({@link
   * Builder#preinitialize(Consumer)}).
   *
   * @return {@code true} for a preinitialized module
   */
  public boolean isPreinitialized() {
    return preinitialized;
  }

  /**
   * Runs the initialisation on a template instance of this (not yet preinitialized) module and
   * writes its state back as a module; the template and its imported memories go back to the pool.
   */
  private WasmModule snapshot(@Nullable ImportValues imports, Consumer<Instance> initialization) {
    List<ImportedMemory> memories = new ArrayList<>();
    try {
      for (int i = 0; i < shape.memoryImports().size(); i++) {
        memories.add(importedMemory(i));
      }
      ImportValues templateImports = ModuleSnapshot.templateImports(name(), module, imports, memories);
      // The template runs the start function, as every instantiation does, but not _start: what the
      // initialisation calls is the caller's to choose.
      try (PooledInstance template = instantiate(templateImports, b -> b.withStart(false))) {
        initialization.accept(template.instance());
        return ModuleSnapshot.capture(name(), module, template.instance());
      }
    } finally {
      for (ImportedMemory memory : memories) {
        memory.close();
      }
    }
  }

  /**
   * The module as registered with the engine: its descriptor and images.
   *
   * @return the engine's view of the module
   */
  public PooledModule pooledModule() {
    return pooled;
  }

  /**
   * The module's name in messages and metrics.
   *
   * @return the name
   */
  public String name() {
    return shape.descriptor().name();
  }

  /** Purges the module's affine slots (and its imported memories') and releases its images. Idempotent. */
  @Override
  public void close() {
    synchronized (importHosts) {
      closed = true;
      pooled.close();
      for (PooledModule host : importHosts) {
        if (host != null) {
          host.close();
        }
      }
    }
  }

  @Override
  public String toString() {
    return "PooledWasmModule[" + name() + (preinitialized ? ", preinitialized" : "") + "]";
  }

  /**
   * Options for loading a module. Each setter may be called again to replace its value; {@link
   * #build()} leaves the builder unchanged.
   *
   * <p>Not thread-safe: confine a builder to one thread.
   */
  public static final class Builder {
    /** Chicory's interpreter, the default machine. */
    private static final Function<Instance, Machine> INTERPRETER = InterpreterMachine::new;

    private final Engine engine;
    private final WasmModule module;
    private @Nullable String name;
    private Function<Instance, Machine> machineFactory = INTERPRETER;
    private boolean compile;
    private @Nullable Consumer<MachineFactoryCompiler.Builder> compilerOptions;
    private @Nullable Consumer<Instance> initialization;
    private @Nullable ImportValues initializationImports;

    private Builder(Engine engine, WasmModule module) {
      this.engine = Objects.requireNonNull(engine, "engine");
      this.module = Objects.requireNonNull(module, "module");
    }

    /**
     * The name used in the engine's messages and metrics.
     *
     * @param name the name; by default {@code "module"}
     * @return this builder
     */
    public Builder withName(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * The machine every instance runs on, for example a build-time compiled module's {@code
     * create} method: {@code PooledWasmModule.builder(engine, MyModule.load())
     * .withMachineFactory(MyModule::create).build()} runs the code {@code
     * chicory-compiler-maven-plugin} generated on pooled memories and tables, with nothing compiled
     * at load. Instances of a module loaded this way are built from the loaded module itself. An
     * instance may still choose another machine through {@code Instance.Builder.withMachineFactory}
     * (see {@link PooledWasmModule#instantiate(Consumer)}).
     *
     * @param machineFactory the factory; by default Chicory's interpreter
     * @return this builder
     */
    public Builder withMachineFactory(Function<Instance, Machine> machineFactory) {
      this.machineFactory = Objects.requireNonNull(machineFactory, "machineFactory");
      this.compile = false;
      this.compilerOptions = null;
      return this;
    }

    /**
     * Runs instances on Chicory's runtime compiler: {@link #build()} compiles the module to JVM
     * bytecode once ({@code MachineFactoryCompiler.compile(WasmModule)}), and every instance uses
     * that code. Needs {@code com.dylibso.chicory:compiler} (and ASM) on the module or class path.
     *
     * @return this builder
     */
    public Builder withCompiler() {
      this.compile = true;
      this.compilerOptions = null;
      return this;
    }

    /**
     * Runs instances on Chicory's runtime compiler, as {@link #withCompiler()}, with Chicory's
     * compiler options: {@code options} receives the {@code MachineFactoryCompiler.Builder} of the
     * module before {@link #build()} compiles it, for example {@code b ->
     * b.withInterpreterFallback(InterpreterFallback.WARN).withCache(cache)} to run functions the
     * compiler cannot handle on the interpreter, and to reuse compiled classes across loads and
     * processes through a {@code com.dylibso.chicory.compiler.Cache}.
     *
     * @param options sets options on Chicory's compiler builder; it must not call {@code compile()}
     * @return this builder
     */
    public Builder withCompiler(Consumer<MachineFactoryCompiler.Builder> options) {
      this.compile = true;
      this.compilerOptions = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Preinitializes the module with no imports (an imported memory still comes from the pool);
     * the same as {@code preinitialize(null, initialization)}.
     *
     * @param initialization what to run on the template instance, for example {@code instance ->
     *     instance.export("init").apply()}
     * @return this builder
     */
    public Builder preinitialize(Consumer<Instance> initialization) {
      return preinitialize(null, initialization);
    }

    /**
     * Runs the module's initialisation once, at {@link #build()}, and starts every instance from the
     * state it leaves, as Wizer does for Wasmtime. {@code build()} instantiates a template from the
     * pool with {@code imports} (running the start function, not {@code _start}), runs {@code
     * initialization} on it, and writes back as the module's snapshot: each memory's contents and
     * size (grown ones included) as its copy-on-write image, every mutable global's value, each
     * table's size and elements, and which passive segments were dropped. Later instances run
     * neither the start function nor the data and element initialisation; {@link #wasmModule()} is
     * the snapshot. The template and its slots go back to the pool.
     *
     * <p>Restrictions, checked where they can be:
     *
     * <ul>
     *   <li>The initialisation may call imports, but later instances get their own imports and
     *       must not depend on host state it created: a WASI file descriptor opened or a host object
     *       made during it is not there for them, while what the guest copied into its memory (its
     *       arguments, environment, clock or random readings) is in the snapshot. Each instance
     *       takes its own imports, WASI included, at {@link PooledWasmModule#instantiate}.
     *   <li>Imported globals and tables are refused ({@link ModuleValidationException} naming the
     *       import): their contents are the host's.
     *   <li>An imported memory is captured as that import's data: the template gets it fresh from
     *       the pool, so {@code imports} must not provide it, and each later instance must be given
     *       a fresh one from {@link PooledWasmModule#importedMemory(int)} (whose image is the
     *       snapshot), not a memory other instances share or the host wrote into.
     *   <li>{@code memory.grow} and {@code table.grow} during initialisation are allowed: the
     *       snapshot's initial size is the grown size, which must fit the pool's limits.
     *   <li>After initialisation, every reference in a global or table must be null or one of the
     *       module's own functions (an {@code i31} too, in a global); a host ({@code externref}) or
     *       GC reference, or a function of another instance, is refused with {@link
     *       IllegalStateException}.
     * </ul>
     *
     * @param imports the template's imports (host functions, WASI), or {@code null} for none
     * @param initialization what to run on the template instance; an exception it throws fails
     *     {@link #build()} with that exception, the slots returned
     * @return this builder
     */
    public Builder preinitialize(@Nullable ImportValues imports, Consumer<Instance> initialization) {
      this.initialization = Objects.requireNonNull(initialization, "initialization");
      this.initializationImports = imports;
      return this;
    }

    /** Whether the machine is the interpreter or the runtime compiler, which take any module object. */
    private boolean ownMachine() {
      return compile || machineFactory == INTERPRETER;
    }

    /**
     * Registers the module with the engine (compiling it first with {@link #withCompiler()}, and
     * preinitializing it with {@link #preinitialize(ImportValues, Consumer)}).
     *
     * @return the loaded module, owned by the caller, who closes it
     * @throws ModuleValidationException if the module does not fit the engine's pooling limits (for
     *     a preinitialized one, the original or its snapshot), or imports a global or table and is
     *     to be preinitialized
     * @throws IllegalStateException if the engine was closed, {@link #withCompiler()} was chosen
     *     and Chicory's compiler is not available, or the snapshot would hold a reference it cannot
     *     (see {@link #preinitialize(ImportValues, Consumer)})
     * @throws IllegalArgumentException if the preinitialization's imports provide a memory
     * @throws com.dylibso.chicory.wasm.ChicoryException if the template cannot be instantiated or
     *     its initialisation traps
     */
    public PooledWasmModule build() {
      String moduleName = name == null ? "module" : name;
      Consumer<Instance> init = initialization;
      if (init != null) {
        ModuleSnapshot.checkImports(moduleName, module);
      }
      ModuleShape shape = ModuleShape.of(moduleName, module);
      PooledModule pooled = engine.register(shape.descriptor());
      PooledWasmModule loaded;
      try {
        // A caller's machine factory may be bound to the loaded module (build-time compiled code
        // checks instance.module()), so only the interpreter and the runtime compiler get the copy.
        WasmModule instantiable = ownMachine() ? shape.data().instantiable(module) : module;
        Function<Instance, Machine> machines =
            compile ? RuntimeCompiler.compile(instantiable, compilerOptions) : machineFactory;
        loaded = new PooledWasmModule(engine, module, shape, pooled, machines, instantiable, false);
      } catch (RuntimeException | Error e) {
        pooled.close();
        throw e;
      }
      if (init == null) {
        return loaded;
      }
      WasmModule snapshot;
      try (PooledWasmModule template = loaded) {
        snapshot = template.snapshot(initializationImports, init);
      }
      ModuleShape snapshotShape = ModuleShape.of(moduleName, snapshot);
      PooledModule snapshotPooled = engine.register(snapshotShape.descriptor());
      return new PooledWasmModule(
          engine,
          snapshot,
          snapshotShape,
          snapshotPooled,
          ModuleSnapshot.machinesFor(loaded.machineFactory),
          ownMachine() ? snapshotShape.data().instantiable(snapshot) : snapshot,
          true);
    }
  }
}
