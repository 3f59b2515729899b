package dev.wasmpool.testkit;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The host side of emscripten's QuickJS build from the npm registry ({@code
 * @jitl/quickjs-wasmfile-release-sync} 0.32.0, {@code emscripten-module.wasm}), enough to evaluate
 * JavaScript from Java: host functions for its imports ({@code a.b} .. {@code a.t}; its memory is
 * the import {@code a.a}) and calls of its exports, whose names emscripten minified.
 *
 * <p>Stateless and thread-safe; each instance is used by one thread at a time.
 */
public final class EmscriptenQuickJs {

  /** The module name of the memory import. */
  public static final String MEMORY_MODULE = "a";

  /** The field name of the memory import. */
  public static final String MEMORY_NAME = "a";

  private static final int PAGE = 65536;

  private EmscriptenQuickJs() {}

  /**
   * Host functions for the module's function imports: heap growth, stdout writes counted, a fixed
   * clock; the rest answer as emscripten's glue does for a program that does not use them, or fail
   * if called. They keep no state: everything they touch is the calling instance's memory.
   *
   * @param module the parsed QuickJS module
   * @return one host function per function import
   */
  public static HostFunction[] imports(WasmModule module) {
    List<HostFunction> functions = new ArrayList<>();
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imp = module.importSection().getImport(i);
      if (!(imp instanceof FunctionImport function)) {
        continue;
      }
      FunctionType type = module.typeSection().getType(function.typeIndex());
      String name = imp.name();
      functions.add(new HostFunction(imp.module(), name, type, (instance, args) -> call(name, instance, args)));
    }
    return functions.toArray(HostFunction[]::new);
  }

  private static long[] call(String name, Instance instance, long[] args) {
    Memory memory = instance.memory();
    switch (name) {
      case "k": { // emscripten_resize_heap(requested bytes)
        long wanted = (Integer.toUnsignedLong((int) args[0]) + PAGE - 1) / PAGE;
        long grow = wanted - memory.pages();
        return new long[] {grow <= 0 || memory.grow((int) grow) >= 0 ? 1 : 0};
      }
      case "p": // emscripten_date_now
        return new long[] {Double.doubleToRawLongBits(0.0)};
      case "d": // fd_close
        return new long[] {52};
      case "o": // fd_seek
        return new long[] {70};
      case "c": { // fd_write(fd, iov, iovcnt, pnum)
        int written = 0;
        for (int k = 0; k < (int) args[2]; k++) {
          written += memory.readInt((int) args[1] + 8 * k + 4);
        }
        memory.writeI32((int) args[3], written);
        return new long[] {0};
      }
      case "e", "f": // environ_get, environ_sizes_get
        if (name.equals("f")) {
          memory.writeI32((int) args[0], 0);
          memory.writeI32((int) args[1], 0);
        }
        return new long[] {0};
      case "i": // shouldInterrupt
        return new long[] {0};
      default:
        throw new UnsupportedOperationException("emscripten import a." + name + " is not provided");
    }
  }

  /**
   * A JavaScript runtime and a context in it, as pointers into the instance's memory.
   *
   * @param runtime the {@code JSRuntime*}
   * @param context the {@code JSContext*}
   */
  public record Context(long runtime, long context) {}

  /**
   * Runs the module's constructors and creates a JavaScript runtime and a context in it, with the
   * default intrinsics.
   *
   * @param instance a new instance of the module
   * @return the runtime and context, for {@link #eval(Instance, Context, String)}
   */
  public static Context newContext(Instance instance) {
    instance.export("u").apply(); // __wasm_call_ctors
    long runtime = instance.export("K").apply()[0]; // QTS_NewRuntime
    return new Context(runtime, instance.export("N").apply(runtime, 0)[0]); // QTS_NewContext(rt, default intrinsics)
  }

  /**
   * Evaluates a script in a context and reads its result as a number; frees the script's buffers
   * and the result.
   *
   * @param instance the instance that holds the context
   * @param context the context, from {@link #newContext(Instance)}
   * @param script the JavaScript source
   * @return the script's value as a double
   */
  public static double eval(Instance instance, Context context, String script) {
    Memory memory = instance.memory();
    byte[] code = script.getBytes(StandardCharsets.UTF_8);
    int codePointer = (int) instance.export("v").apply(code.length + 1)[0]; // malloc
    memory.write(codePointer, code);
    memory.writeByte(codePointer + code.length, (byte) 0);
    int filename = (int) instance.export("v").apply(8)[0];
    memory.writeCString(filename, "eval.js");
    long ctx = context.context();
    long value = instance.export("pa").apply(ctx, codePointer, code.length, filename, 0, 0)[0]; // QTS_Eval
    double result = Double.longBitsToDouble(instance.export("Z").apply(ctx, value)[0]); // QTS_GetFloat64
    instance.export("P").apply(ctx, value); // QTS_FreeValuePointer
    instance.export("M").apply(codePointer); // free
    instance.export("M").apply(filename);
    return result;
  }

  /**
   * Frees a context and its runtime.
   *
   * @param instance the instance that holds them
   * @param context the context, from {@link #newContext(Instance)}
   */
  public static void free(Instance instance, Context context) {
    instance.export("O").apply(context.context()); // QTS_FreeContext
    instance.export("L").apply(context.runtime()); // QTS_FreeRuntime
  }
}
