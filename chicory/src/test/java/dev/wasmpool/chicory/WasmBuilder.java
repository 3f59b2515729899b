package dev.wasmpool.chicory;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes WebAssembly binary modules by hand for tests (Chicory's runtime has no text parser).
 * Sections come out in the order the binary format requires; function bodies are written with
 * {@link Code}.
 */
final class WasmBuilder {

  static final int I32 = 0x7f;
  static final int I64 = 0x7e;
  static final int F32 = 0x7d;
  static final int F64 = 0x7c;
  static final int FUNCREF = 0x70;
  static final int EXTERNREF = 0x6f;

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

  /** Adds a function type; returns its index. */
  int type(int[] params, int[] results) {
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

  /** Imports a function; returns its function index (imports come first). */
  int importFunction(String module, String name, int type) {
    imports.add(new Bytes().name(module).name(name).u8(0x00).u32(type).toArray());
    return importedFunctions++;
  }

  WasmBuilder importMemory(String module, String name, int min, int max) {
    imports.add(new Bytes().name(module).name(name).u8(0x02).limits(min, max, false).toArray());
    return this;
  }

  WasmBuilder importGlobal(String module, String name, int valType, boolean mutable) {
    imports.add(
        new Bytes().name(module).name(name).u8(0x03).u8(valType).u8(mutable ? 1 : 0).toArray());
    return this;
  }

  /** Defines a function; returns its function index. */
  int function(int type, Code body) {
    functionTypes.add(type);
    bodies.add(body.toBody());
    return importedFunctions + functionTypes.size() - 1;
  }

  /** Defines a memory; {@code max < 0} means no maximum. */
  WasmBuilder memory(int min, int max) {
    return memory(min, max, false);
  }

  WasmBuilder memory(int min, int max, boolean shared) {
    memories.add(new Bytes().limits(min, max, shared).toArray());
    return this;
  }

  /** Defines a funcref table; {@code max < 0} means no maximum. */
  WasmBuilder table(int min, int max) {
    tables.add(new Bytes().u8(FUNCREF).limits(min, max, false).toArray());
    return this;
  }

  WasmBuilder global(int valType, boolean mutable, Code init) {
    globals.add(new Bytes().u8(valType).u8(mutable ? 1 : 0).raw(init.toExpr()).toArray());
    return this;
  }

  WasmBuilder exportFunction(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x00).u32(index).toArray());
    return this;
  }

  WasmBuilder exportTable(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x01).u32(index).toArray());
    return this;
  }

  WasmBuilder exportMemory(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x02).u32(index).toArray());
    return this;
  }

  WasmBuilder exportGlobal(String name, int index) {
    exports.add(new Bytes().name(name).u8(0x03).u32(index).toArray());
    return this;
  }

  WasmBuilder start(int function) {
    this.start = function;
    return this;
  }

  /** An active element segment of table 0 at a constant offset. */
  WasmBuilder activeElements(int offset, int... functions) {
    Bytes b = new Bytes().u8(0x00).raw(new Code().i32Const(offset).toExpr()).u32(functions.length);
    for (int f : functions) {
      b.u32(f);
    }
    elements.add(b.toArray());
    return this;
  }

  /** An active data segment of memory {@code memory} at the offset {@code offset} computes. */
  WasmBuilder activeData(int memory, Code offset, byte[] bytes) {
    Bytes b = memory == 0 ? new Bytes().u8(0x00) : new Bytes().u8(0x02).u32(memory);
    data.add(b.raw(offset.toExpr()).u32(bytes.length).raw(bytes).toArray());
    return this;
  }

  WasmBuilder activeData(int offset, byte[] bytes) {
    return activeData(0, new Code().i32Const(offset), bytes);
  }

  WasmBuilder passiveData(byte[] bytes) {
    data.add(new Bytes().u8(0x01).u32(bytes.length).raw(bytes).toArray());
    return this;
  }

  byte[] build() {
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
      byte[] body = new Bytes().u32(start).toArray();
      out.u8(8).u32(body.length).raw(body);
    }
    section(out, 9, elements);
    if (!data.isEmpty()) {
      byte[] count = new Bytes().u32(data.size()).toArray();
      out.u8(12).u32(count.length).raw(count);
    }
    List<byte[]> code = new ArrayList<>();
    for (byte[] body : bodies) {
      code.add(new Bytes().u32(body.length).raw(body).toArray());
    }
    section(out, 10, code);
    section(out, 11, data);
    return out.toArray();
  }

  WasmModule parse() {
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
    byte[] bytes = content.toArray();
    out.u8(id).u32(bytes.length).raw(bytes);
  }

  /** Instructions of a function body or constant expression. */
  static final class Code {
    private final Bytes bytes = new Bytes();
    private final List<Integer> locals = new ArrayList<>();

    /** Declares one more local of the given type (function bodies only). */
    Code local(int valType) {
      locals.add(valType);
      return this;
    }

    Code op(int... opcodes) {
      for (int o : opcodes) {
        bytes.u8(o);
      }
      return this;
    }

    Code i32Const(int value) {
      bytes.u8(0x41).s64(value);
      return this;
    }

    Code i64Const(long value) {
      bytes.u8(0x42).s64(value);
      return this;
    }

    Code localGet(int index) {
      bytes.u8(0x20).u32(index);
      return this;
    }

    Code globalGet(int index) {
      bytes.u8(0x23).u32(index);
      return this;
    }

    Code call(int function) {
      bytes.u8(0x10).u32(function);
      return this;
    }

    /** A load or store with alignment exponent and offset, e.g. {@code 0x28} for i32.load. */
    Code memOp(int opcode, int alignExponent, int offset) {
      bytes.u8(opcode).u32(alignExponent).u32(offset);
      return this;
    }

    Code i32Load(int offset) {
      return memOp(0x28, 2, offset);
    }

    Code i32Load8U(int offset) {
      return memOp(0x2d, 0, offset);
    }

    Code i32Store(int offset) {
      return memOp(0x36, 2, offset);
    }

    Code i32Store8(int offset) {
      return memOp(0x3a, 0, offset);
    }

    Code memorySize() {
      bytes.u8(0x3f).u8(0x00);
      return this;
    }

    Code memoryGrow() {
      bytes.u8(0x40).u8(0x00);
      return this;
    }

    /** {@code memory.fill} of memory 0. */
    Code memoryFill() {
      bytes.u8(0xfc).u32(11).u8(0x00);
      return this;
    }

    /** {@code memory.init} of data segment {@code segment} into memory 0. */
    Code memoryInit(int segment) {
      bytes.u8(0xfc).u32(8).u32(segment).u8(0x00);
      return this;
    }

    Code i64Load(int offset) {
      return memOp(0x29, 3, offset);
    }

    Code i64Store(int offset) {
      return memOp(0x37, 3, offset);
    }

    Code i32Load16U(int offset) {
      return memOp(0x2f, 1, offset);
    }

    Code refNull(int refType) {
      bytes.u8(0xd0).u8(refType);
      return this;
    }

    Code refFunc(int function) {
      bytes.u8(0xd2).u32(function);
      return this;
    }

    Code tableGrow(int table) {
      bytes.u8(0xfc).u32(15).u32(table);
      return this;
    }

    Code tableSize(int table) {
      bytes.u8(0xfc).u32(16).u32(table);
      return this;
    }

    Code tableGet(int table) {
      bytes.u8(0x25).u32(table);
      return this;
    }

    Code refIsNull() {
      bytes.u8(0xd1);
      return this;
    }

    Code callIndirect(int type, int table) {
      bytes.u8(0x11).u32(type).u32(table);
      return this;
    }

    Code drop() {
      bytes.u8(0x1a);
      return this;
    }

    Code unreachable() {
      bytes.u8(0x00);
      return this;
    }

    byte[] toExpr() {
      return new Bytes().raw(bytes.toArray()).u8(0x0b).toArray();
    }

    byte[] toBody() {
      Bytes b = new Bytes().u32(locals.size());
      for (int l : locals) {
        b.u32(1).u8(l);
      }
      return b.raw(toExpr()).toArray();
    }
  }

  /** A growable byte buffer with LEB128 writers. */
  static final class Bytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Bytes u8(int b) {
      out.write(b);
      return this;
    }

    Bytes u32(long value) {
      long v = value;
      do {
        int b = (int) (v & 0x7f);
        v >>>= 7;
        out.write(v != 0 ? b | 0x80 : b);
      } while (v != 0);
      return this;
    }

    Bytes s64(long value) {
      long v = value;
      while (true) {
        int b = (int) (v & 0x7f);
        v >>= 7;
        boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
        out.write(done ? b : b | 0x80);
        if (done) {
          return this;
        }
      }
    }

    Bytes name(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      return u32(b.length).raw(b);
    }

    Bytes limits(int min, int max, boolean shared) {
      int flags = (max >= 0 ? 1 : 0) | (shared ? 2 : 0);
      u8(flags).u32(min);
      if (max >= 0) {
        u32(max);
      }
      return this;
    }

    Bytes raw(byte[] b) {
      out.writeBytes(b);
      return this;
    }

    byte[] toArray() {
      return out.toByteArray();
    }
  }
}
