package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportTable;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.runtime.WasmFunctionHandle;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import java.util.List;

/**
 * The {@code spectest} host module the WebAssembly testsuite imports from: print functions that do
 * nothing, globals of value 666 / 666.6, a funcref table of 10..20 elements and a memory of 1..2
 * pages (made by the caller, so each run can use its own kind of memory).
 */
final class Spectest {

  private static final WasmFunctionHandle NOOP = (Instance instance, long... args) -> null;

  private Spectest() {}

  /**
   * Fresh import values; nothing is shared between calls.
   *
   * @param memory the memory to export as {@code spectest.memory}, with limits 1..2
   * @return the imports
   */
  static ImportValues imports(Memory memory) {
    return ImportValues.builder()
        .addFunction(print("print"))
        .addFunction(print("print_i32", ValType.I32))
        .addFunction(print("print_i64", ValType.I64))
        .addFunction(print("print_f32", ValType.F32))
        .addFunction(print("print_f64", ValType.F64))
        .addFunction(print("print_i32_f32", ValType.I32, ValType.F32))
        .addFunction(print("print_f64_f64", ValType.F64, ValType.F64))
        .addGlobal(new ImportGlobal("spectest", "global_i32", new GlobalInstance(Value.i32(666))))
        .addGlobal(new ImportGlobal("spectest", "global_i64", new GlobalInstance(Value.i64(666))))
        .addGlobal(
            new ImportGlobal("spectest", "global_f32", new GlobalInstance(Value.fromFloat(666.6f))))
        .addGlobal(
            new ImportGlobal("spectest", "global_f64", new GlobalInstance(Value.fromDouble(666.6))))
        .addTable(
            new ImportTable(
                "spectest",
                "table",
                new TableInstance(
                    new Table(ValType.FuncRef, new TableLimits(10, 20)), Value.REF_NULL_VALUE)))
        .addMemory(new ImportMemory("spectest", "memory", memory))
        .build();
  }

  private static HostFunction print(String name, ValType... params) {
    return new HostFunction("spectest", name, FunctionType.of(List.of(params), List.of()), NOOP);
  }
}
