package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import java.util.List;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One module made ready to instantiate with one of the compared memories: the value of every
 * benchmark's {@code memory} parameter.
 *
 * <ul>
 *   <li>{@code pooled-linux}, {@code pooled-portable}: a wasmpool engine on that backend with the
 *       default pooling configuration ({@link PoolingAllocationConfig#defaults()}), and the module
 *       loaded into it once ({@link PooledWasmModule}); an instance is {@link
 *       PooledWasmModule#instantiate()}, and closing it returns its slots.
 *   <li>{@code chicory-bytebuffer}: Chicory's default, {@code Instance.builder(module).build()},
 *       which uses {@link ByteBufferMemory}; closing does nothing (the garbage collector reclaims
 *       the instance).
 *   <li>{@code chicory-bytearray}: the same with {@code withMemoryFactory(ByteArrayMemory::new)}.
 *   <li>{@code chicory-floor}: the same with a memory factory that returns one memory built once,
 *       its data already in place, whose initialisation and zeroing do nothing ({@link
 *       FloorMemory}): what Chicory's own {@code Instance.Builder.build()} costs with a memory that
 *       costs nothing, the floor any pooled instantiation is compared with. Its instances share the
 *       one memory, so it is only meaningful where nothing depends on a fresh memory.
 * </ul>
 *
 * <p>Every subject runs on Chicory's interpreter, or, when compiled, on code from Chicory's
 * runtime compiler made once per module ({@code MachineFactoryCompiler.compile(module)} for
 * Chicory's memories, {@code PooledWasmModule.Builder.withCompiler()} for pooled ones).
 *
 * <p>Thread-safe: instances may be created from any thread. Not a benchmark itself.
 */
public abstract sealed class Subject implements AutoCloseable {

  /** The {@code memory} parameter values, in the column order of the report. */
  public static final List<String> MEMORIES =
      List.of("pooled-linux", "pooled-portable", "chicory-bytebuffer", "chicory-bytearray", "chicory-floor");

  /** The floor: Chicory's instantiation with a memory that costs nothing. */
  public static final String FLOOR = "chicory-floor";

  /** The column every ratio is relative to: Chicory's default memory. */
  public static final String BASELINE = "chicory-bytebuffer";

  /** A live instance of the subject's module. */
  public interface Tenant extends AutoCloseable {

    /**
     * The Chicory instance.
     *
     * @return the instance
     */
    Instance instance();

    /** Ends the instance: returns pooled slots; nothing for Chicory's own memories. */
    @Override
    void close();
  }

  private Subject() {}

  /**
   * Prepares a module for one of the compared memories.
   *
   * @param memory one of {@link #MEMORIES}
   * @param wasm the module's bytes
   * @param compiled {@code true} for Chicory's runtime compiler, {@code false} for its interpreter
   * @return the subject, owned by the caller, who closes it
   * @throws IllegalArgumentException if {@code memory} is not one of {@link #MEMORIES}
   */
  public static Subject open(String memory, byte[] wasm, boolean compiled) {
    return open(memory, wasm, compiled, null);
  }

  /**
   * Prepares a module that imports host functions for one of the compared memories.
   *
   * @param memory one of {@link #MEMORIES}
   * @param wasm the module's bytes
   * @param compiled {@code true} for Chicory's runtime compiler, {@code false} for its interpreter
   * @param imports what every instance imports, or {@code null} for nothing (Chicory's builder
   *     then makes its own empty imports per instance, as an application's plain {@code build()})
   * @return the subject, owned by the caller, who closes it
   * @throws IllegalArgumentException if {@code memory} is not one of {@link #MEMORIES}
   */
  public static Subject open(String memory, byte[] wasm, boolean compiled, @Nullable ImportValues imports) {
    WasmModule module = Parser.parse(wasm);
    return switch (memory) {
      case "pooled-linux" -> new Pooled("linux", module, compiled, imports);
      case "pooled-portable" -> new Pooled("portable", module, compiled, imports);
      case "chicory-bytebuffer" -> new Chicory(module, ByteBufferMemory::new, compiled, imports);
      case "chicory-bytearray" -> new Chicory(module, ByteArrayMemory::new, compiled, imports);
      case FLOOR -> new Chicory(module, FloorMemory.factory(module, imports), compiled, imports);
      default ->
          throw new IllegalArgumentException(
              "memory must be one of " + MEMORIES + " (was " + memory + ")");
    };
  }

  /**
   * Prepares {@code count} separately loaded copies of a module for one of the compared memories:
   * for the pooled memories all in one engine, so that they compete for its slots (each copy is
   * its own module to the pool's affinity rules).
   *
   * @param memory one of {@link #MEMORIES}
   * @param wasm the module's bytes
   * @param count how many copies
   * @param compiled {@code true} for Chicory's runtime compiler, {@code false} for its interpreter
   * @return the subjects, owned by the caller, who closes them in reverse order (the first one
   *     holds the shared engine)
   */
  public static List<Subject> openMany(String memory, byte[] wasm, int count, boolean compiled) {
    List<Subject> subjects = new java.util.ArrayList<>();
    Subject first = open(memory, wasm, compiled);
    subjects.add(first);
    try {
      for (int i = 1; i < count; i++) {
        subjects.add(first instanceof Pooled pooled ? pooled.sibling(Parser.parse(wasm), compiled) : open(memory, wasm, compiled));
      }
    } catch (RuntimeException e) {
      for (int i = subjects.size() - 1; i >= 0; i--) {
        subjects.get(i).close();
      }
      throw e;
    }
    return subjects;
  }

  /**
   * Creates an instance of the module (memories initialised, data segments in place).
   *
   * @return the instance, owned by the caller, who closes it
   */
  public abstract Tenant instantiate();

  /** Releases the engine and module, if any. */
  @Override
  public abstract void close();

  /** A wasmpool engine on one backend, with the module loaded once. */
  private static final class Pooled extends Subject {
    private final Engine engine;
    private final boolean ownsEngine;
    private final PooledWasmModule module;
    private final @Nullable ImportValues imports;

    Pooled(String backend, WasmModule wasm, boolean compiled, @Nullable ImportValues imports) {
      this(
          Engine.create(
              EngineConfig.builder()
                  .backend(backend)
                  .allocationStrategy(AllocationStrategy.pooling(PoolingAllocationConfig.defaults()))
                  .build()),
          true,
          wasm,
          compiled,
          imports);
    }

    private Pooled(Engine engine, boolean ownsEngine, WasmModule wasm, boolean compiled, @Nullable ImportValues imports) {
      this.engine = engine;
      this.ownsEngine = ownsEngine;
      this.imports = imports;
      try {
        PooledWasmModule.Builder builder = PooledWasmModule.builder(engine, wasm);
        this.module = (compiled ? builder.withCompiler() : builder).build();
      } catch (RuntimeException e) {
        if (ownsEngine) {
          engine.close();
        }
        throw e;
      }
    }

    /** Another module loaded into this subject's engine, which stays this subject's to close. */
    Pooled sibling(WasmModule wasm, boolean compiled) {
      return new Pooled(engine, false, wasm, compiled, imports);
    }

    @Override
    public Tenant instantiate() {
      return new PooledTenant(module.instantiate(imports, null));
    }

    @Override
    public void close() {
      try {
        module.close();
      } finally {
        if (ownsEngine) {
          engine.close();
        }
      }
    }
  }

  private record PooledTenant(PooledInstance pooled) implements Tenant {
    @Override
    public Instance instance() {
      return pooled.instance();
    }

    @Override
    public void close() {
      pooled.close();
    }
  }

  /** Chicory's own instantiation with one of its memories. */
  private static final class Chicory extends Subject {
    private final WasmModule module;
    private final Function<MemoryLimits, Memory> memories;
    private final @Nullable Function<Instance, Machine> machines;
    private final @Nullable ImportValues imports;

    Chicory(WasmModule module, Function<MemoryLimits, Memory> memories, boolean compiled, @Nullable ImportValues imports) {
      this.module = module;
      this.imports = imports;
      this.memories = memories;
      this.machines = compiled ? Compiler.compile(module) : null;
    }

    @Override
    public Tenant instantiate() {
      Instance.Builder builder = Instance.builder(module).withMemoryFactory(memories);
      if (imports != null) {
        builder.withImportValues(imports);
      }
      if (machines != null) {
        builder.withMachineFactory(machines);
      }
      return new ChicoryTenant(builder.build());
    }

    @Override
    public void close() {}
  }

  private record ChicoryTenant(Instance instance) implements Tenant {
    @Override
    public void close() {}
  }

  /** Chicory's runtime compiler, kept apart so the interpreter runs never load it. */
  private static final class Compiler {
    private Compiler() {}

    static Function<Instance, Machine> compile(WasmModule module) {
      return com.dylibso.chicory.compiler.MachineFactoryCompiler.compile(module);
    }
  }
}
