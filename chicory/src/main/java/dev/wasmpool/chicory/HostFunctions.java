package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import dev.wasmpool.api.binding.GuestRights;

/**
 * Host functions that run with the host's rights (every protection key) when guest code calls
 * them, so that a host function may touch any instance's memory, and that give the guest its
 * rights back when they return or throw. Used only when the pool uses protection keys.
 */
final class HostFunctions {

  private HostFunctions() {}

  /**
   * The same imports with every function wrapped; globals, memories, tables and tags unchanged.
   *
   * @param imports the caller's imports
   * @param rights the rights register to switch (any instance's rights of the engine)
   * @return new import values
   */
  static ImportValues withHostRights(ImportValues imports, GuestRights rights) {
    ImportValues.Builder builder = ImportValues.builder();
    for (ImportFunction function : imports.functions()) {
      builder.addFunction(
          hasHostRights(function)
              ? function
              : new ImportFunction(
                  function.module(),
                  function.name(),
                  function.functionType(),
                  new HostCall(function.handle(), rights),
                  function.sourceInstance()));
    }
    return builder
        .addGlobal(imports.globals())
        .addMemory(imports.memories())
        .addTable(imports.tables())
        .addTag(imports.tags())
        .build();
  }

  /**
   * Whether a function switches to host rights when called.
   *
   * @param function an import
   * @return {@code true} if made by {@link #withHostRights}
   */
  static boolean hasHostRights(ImportFunction function) {
    return function.handle() instanceof HostCall;
  }

  /** A host function's handle run with host rights. */
  private record HostCall(WasmFunctionHandle handle, GuestRights rights) implements WasmFunctionHandle {
    @Override
    public long[] apply(Instance instance, long... args) {
      int previous = rights.enterHost();
      try {
        return handle.apply(instance, args);
      } finally {
        rights.leave(previous);
      }
    }
  }
}
