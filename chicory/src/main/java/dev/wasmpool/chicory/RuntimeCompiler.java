package dev.wasmpool.chicory;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.function.Consumer;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Chicory's runtime compiler, an optional dependency: only this class refers to it, so the binding
 * loads without it until a module asks to be compiled.
 */
final class RuntimeCompiler {

  private RuntimeCompiler() {}

  /**
   * Compiles a module once; the returned factory makes a machine per instance from that code.
   *
   * @param module the module
   * @return the machine factory
   * @throws IllegalStateException if the compiler is not on the module or class path
   */
  static Function<Instance, Machine> compile(WasmModule module) {
    return compile(module, null);
  }

  /**
   * Compiles a module once with Chicory's compiler options; the returned factory makes a machine
   * per instance from that code.
   *
   * @param module the module
   * @param options sets options on Chicory's {@code MachineFactoryCompiler.Builder} (interpreter
   *     fallback, cache, class name, ...), or {@code null} for its defaults
   * @return the machine factory
   * @throws IllegalStateException if the compiler is not on the module or class path
   */
  static Function<Instance, Machine> compile(
      WasmModule module, @Nullable Consumer<MachineFactoryCompiler.Builder> options) {
    try {
      MachineFactoryCompiler.Builder builder = MachineFactoryCompiler.builder(module);
      if (options != null) {
        options.accept(builder);
      }
      return builder.compile();
    } catch (NoClassDefFoundError e) {
      throw new IllegalStateException(
          "withCompiler() needs Chicory's compiler: add com.dylibso.chicory:compiler (and ASM) to"
              + " the module or class path",
          e);
    }
  }
}
