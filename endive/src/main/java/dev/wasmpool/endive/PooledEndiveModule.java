package dev.wasmpool.endive;

import dev.wasmpool.api.Engine;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.api.binding.PooledModule;
import java.util.Objects;
import run.endive.wasm.WasmModule;

/**
 * An Endive module loaded into a wasmpool {@link Engine}: checked against the pool's limits once,
 * with its memory image and its data-initialisation plan made once, ready to give pooled memories
 * and tables to many instances through {@link #resources()}.
 *
 * <p>Endive instances are built by their embedders (quickjs4j, build-time compiled modules with
 * their own {@code Instance.builder}), so this binding hands out factories rather than instances.
 *
 * <p>Thread-safe: resources may be taken from any thread. Closing the module purges its affine
 * slots; resources still open keep working until they close.
 */
public final class PooledEndiveModule implements AutoCloseable {

  private final WasmModule module;
  private final EndiveModuleData data;
  private final PooledModule pooled;

  private PooledEndiveModule(WasmModule module, EndiveModuleData data, PooledModule pooled) {
    this.module = module;
    this.data = data;
    this.pooled = pooled;
  }

  /**
   * Loads a module under the name {@code "module"}.
   *
   * @param engine the engine whose pools the instances use
   * @param module the parsed module; instances must be built from this very object for the image
   *     to spare their data initialisation (another copy still works, writing its data)
   * @return the loaded module, owned by the caller, who closes it
   * @throws ModuleValidationException if the module does not fit the engine's pooling limits
   * @throws IllegalStateException if the engine was closed
   */
  public static PooledEndiveModule load(Engine engine, WasmModule module) {
    return load(engine, module, "module");
  }

  /**
   * Loads a module.
   *
   * @param engine the engine whose pools the instances use
   * @param module the parsed module
   * @param name the name used in the engine's messages and metrics
   * @return the loaded module, owned by the caller, who closes it
   * @throws ModuleValidationException if the module does not fit the engine's pooling limits
   * @throws IllegalStateException if the engine was closed
   */
  public static PooledEndiveModule load(Engine engine, WasmModule module, String name) {
    Objects.requireNonNull(engine, "engine");
    EndiveModuleData data = EndiveModuleData.of(Objects.requireNonNull(name, "name"), module);
    return new PooledEndiveModule(module, data, engine.register(data.descriptor()));
  }

  /**
   * Pooled memories and tables for one instance; see {@link PooledResources}. Nothing is taken
   * from the pool until Endive calls one of its factories.
   *
   * @return the resources, owned by the caller, who closes them once the instance is done
   */
  public PooledResources resources() {
    return new PooledResources(new EndiveFactories(data, pooled, null));
  }

  /**
   * The Endive module.
   *
   * @return the module as loaded
   */
  public WasmModule wasmModule() {
    return module;
  }

  /**
   * The module as registered with the engine.
   *
   * @return the engine's view of the module
   */
  public PooledModule pooledModule() {
    return pooled;
  }

  /** Purges the module's affine slots and releases its images. Idempotent. */
  @Override
  public void close() {
    pooled.close();
  }

  @Override
  public String toString() {
    return "PooledEndiveModule[" + pooled.descriptor().name() + "]";
  }
}
