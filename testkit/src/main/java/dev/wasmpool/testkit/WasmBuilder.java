package dev.wasmpool.testkit;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes WebAssembly binary modules by hand (Chicory's runtime has no text parser). Sections come
 * out in the order the binary format requires; function bodies and constant expressions are
 * written with {@link Code}. Methods that define something return its index; the others return
 * this builder. Not a validator: what it writes is what it was told. Not thread-safe.
 */
public final class WasmBuilder {

  /** Value type {@code i32}. */
  public static final int I32 = 0x7f;

  /** Value type {@code i64}. */
  public static final int I64 = 0x7e;

  /** Value type {@code f32}. */
  public static final int F32 = 0x7d;

  /** Value type {@code f64}. */
  public static final int F64 = 0x7c;

  /** Value type {@code v128}. */
  public static final int V128 = 0x7b;

  /** Reference type {@code funcref}. */
  public static final int FUNCREF = 0x70;

  /** Reference type {@code externref}. */
  public static final int EXTERNREF = 0x6f;

  private final List<byte[]> types = new ArrayList<>();
  private final List<byte[]> imports = new ArrayList<>();
  private final List<Integer> functionTypes = new ArrayList<>();
  private final List<byte[]> bodies = new ArrayList<>();
  private final List<byte[]> tables = new ArrayList<>();
  private final List<byte[]> memories = new ArrayList<>();
  private final List<byte[]> globals = new ArrayList<>();
  private final List<byte[]> exports = new ArrayList<>();
  private final List<byte[]> elements = new ArrayList<>();
  private final List<byte[]> data = new ArrayList<>();
  private int importedFunctions;
  private int start = -1;

  /** Starts an empty module. */
  public WasmBuilder() {}

  /**
   * Adds a function type.
   *
   * @param params the parameter types
   * @param results the result types
   * @return the type's index
   */
  public int type(int[] params, int[] results) {
    Bytes b = new Bytes().u8(0x60).u32(params.length);
    for (int p : params) {
      b.u8(p);
    }
    b.u32(results.length);
    for (int r : results) {
      b.u8(r);
    }
    types.add(b.toArray());
    return types.size() - 1;
  }

  /**
   * Imports a function. Imports take the first function indices, so import before defining.
   *
   * @param module the import's module name
   * @param name the import's name
   * @param type the function's type index
   * @return the function's index
   */
  public int importFunction(String module, String name, int type) {
    imports.add(new Bytes().name(module).name(name).u8(0x00).u32(type).toArray());
    return importedFunctions++;
  }

  /**
   * Imports a memory.
   *
   * @param module the import's module name
   * @param name the import's name
   * @param min the minimum size in pages
   * @param max the maximum size in pages, or a negative number for none
   * @return this
   */
  public WasmBuilder importMemory(String module, String name, int min, int max) {
    imports.add(new Bytes().name(module).name(name).u8(0x02).limits(min, max, false).toArray());
    return this;
  }

  /**
   * Imports a {@code funcref} table.
   *
   * @param module the import's module name
   * @param name the import's name
   * @param min the minimum size in elements
   * @param max the maximum size in elements, or a negative number for none
   * @return this
   */
  public WasmBuilder importTable(String module, String name, int min, int max) {
    imports.add(new Bytes().name(module).name(name).u8(0x01).u8(FUNCREF).limits(min, max, false).toArray());
    return this;
  }

  /**
   * Imports a global.
   *
   * @param module the import's module name
   * @param name the import's name
   * @param valType the global's type
   * @param mutable whether it is mutable
   * @return this
   */
  public WasmBuilder importGlobal(String module, String name, int valType, boolean mutable) {
    imports.add(
        new Bytes().name(module).name(name).u8(0x03).u8(valType).u8(mutable ? 1 : 0).toArray());
    return this;
  }

  /**
   * Defines a function.
   *
   * @param type the function's type index
   * @param body its locals and code
   * @return the function's index (after the imported ones)
   */
  public int function(int type, Code body) {
    functionTypes.add(type);
    bodies.add(body.toBody());
    return importedFunctions + functionTypes.size() - 1;
  }

  /**
   * Defines a memory.
   *
   * @param min the minimum size in pages
   * @param max the maximum size in pages, or a negative number for none
   * @return this
   */
  public WasmBuilder memory(int min, int max) {
    return memory(min, max, false);
  }

  /**
   * Defines a memory, shared or not.
   *
   * @param min the minimum size in pages
   * @param max the maximum size in pages, or a negative number for none
   * @param shared whether the memory is shared
   * @return this
   */
  public WasmBuilder memory(int min, int max, boolean shared) {
    memories.add(new Bytes().limits(min, max, shared).toArray());
    return this;
  }

  /**
   * Defines a {@code funcref} table.
   *
   * @param min the minimum size in elements
   * @param max the maximum size in elements, or a negative number for none
   * @return this
   */
  public WasmBuilder table(int min, int max) {
    return table(FUNCREF, min, max);
  }

  /**
   * Defines a table of the given reference type.
   *
   * @param refType {@link #FUNCREF} or {@link #EXTERNREF}
   * @param min the minimum size in elements
   * @param max the maximum size in elements, or a negative number for none
   * @return this
   */
  public WasmBuilder table(int refType, int min, int max) {
    tables.add(new Bytes().u8(refType).limits(min, max, false).toArray());
    return this;
  }

  /**
   * Defines a global.
   *
   * @param valType its type
   * @param mutable whether it is mutable
   * @param init its constant initialiser
   * @return this
   */
  public WasmBuilder global(int valType, boolean mutable, Code init) {
    globals.add(new Bytes().u8(valType).u8(mutable ? 1 : 0).raw(init.toExpr()).toArray());
    return this;
  }

  /**
   * Exports a function.
   *
   * @param name the export name
   * @param index the function index
   * @return this
   */
  public WasmBuilder exportFunction(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x00).u32(index).toArray());
    return this;
  }

  /**
   * Exports a table.
   *
   * @param name the export name
   * @param index the table index
   * @return this
   */
  public WasmBuilder exportTable(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x01).u32(index).toArray());
    return this;
  }

  /**
   * Exports a memory.
   *
   * @param name the export name
   * @param index the memory index
   * @return this
   */
  public WasmBuilder exportMemory(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x02).u32(index).toArray());
    return this;
  }

  /**
   * Exports a global.
   *
   * @param name the export name
   * @param index the global index
   * @return this
   */
  public WasmBuilder exportGlobal(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x03).u32(index).toArray());
    return this;
  }

  /**
   * Names the start function.
   *
   * @param function the function index
   * @return this
   */
  public WasmBuilder start(int function) {
    this.start = function;
    return this;
  }

  /**
   * Adds an active element segment of table 0 at a constant offset.
   *
   * @param offset the first element written
   * @param functions the function indices
   * @return this
   */
  public WasmBuilder activeElements(int offset, int... functions) {
    Bytes b = new Bytes().u8(0x00).raw(new Code().i32Const(offset).toExpr());
    elements.add(functionIndices(b, functions).toArray());
    return this;
  }

  /**
   * Adds a passive {@code funcref} element segment, for {@code table.init}.
   *
   * @param functions the function indices
   * @return this
   */
  public WasmBuilder passiveElements(int... functions) {
    elements.add(functionIndices(new Bytes().u8(0x01).u8(0x00), functions).toArray());
    return this;
  }

  /**
   * Adds a declarative element segment: it only declares functions for {@code ref.func}.
   *
   * @param functions the function indices
   * @return this
   */
  public WasmBuilder declaredElements(int... functions) {
    elements.add(functionIndices(new Bytes().u8(0x03).u8(0x00), functions).toArray());
    return this;
  }

  private static Bytes functionIndices(Bytes b, int[] functions) {
    b.u32(functions.length);
    for (int f : functions) {
      b.u32(f);
    }
    return b;
  }

  /**
   * Adds an active data segment.
   *
   * @param memory the memory index
   * @param offset the constant expression computing the offset
   * @param bytes the contents
   * @return this
   */
  public WasmBuilder activeData(int memory, Code offset, byte[] bytes) {
    Bytes b = memory == 0 ? new Bytes().u8(0x00) : new Bytes().u8(0x02).u32(memory);
    data.add(b.raw(offset.toExpr()).vector(bytes).toArray());
    return this;
  }

  /**
   * Adds an active data segment of memory 0 at a constant offset.
   *
   * @param offset the offset
   * @param bytes the contents
   * @return this
   */
  public WasmBuilder activeData(int offset, byte[] bytes) {
    return activeData(0, new Code().i32Const(offset), bytes);
  }

  /**
   * Adds a passive data segment, for {@code memory.init}.
   *
   * @param bytes the contents
   * @return this
   */
  public WasmBuilder passiveData(byte[] bytes) {
    data.add(new Bytes().u8(0x01).vector(bytes).toArray());
    return this;
  }

  /**
   * Encodes the module.
   *
   * @return the module's bytes
   */
  public byte[] build() {
    Bytes out = new Bytes().raw(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});
    section(out, 1, types);
    section(out, 2, imports);
    List<byte[]> functions = new ArrayList<>();
    for (int t : functionTypes) {
      functions.add(new Bytes().u32(t).toArray());
    }
    section(out, 3, functions);
    section(out, 4, tables);
    section(out, 5, memories);
    section(out, 6, globals);
    section(out, 7, exports);
    if (start >= 0) {
      out.u8(8).vector(new Bytes().u32(start).toArray());
    }
    section(out, 9, elements);
    if (!data.isEmpty()) {
      out.u8(12).vector(new Bytes().u32(data.size()).toArray());
    }
    List<byte[]> code = new ArrayList<>();
    for (byte[] body : bodies) {
      code.add(new Bytes().vector(body).toArray());
    }
    section(out, 10, code);
    section(out, 11, data);
    return out.toArray();
  }

  /**
   * Encodes the module and parses it with Chicory.
   *
   * @return the parsed module
   */
  public WasmModule parse() {
    return Parser.parse(build());
  }

  private static void section(Bytes out, int id, List<byte[]> entries) {
    if (entries.isEmpty()) {
      return;
    }
    Bytes content = new Bytes().u32(entries.size());
    for (byte[] e : entries) {
      content.raw(e);
    }
    out.u8(id).vector(content.toArray());
  }
}
