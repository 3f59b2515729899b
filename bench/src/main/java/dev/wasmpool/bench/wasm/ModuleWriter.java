package dev.wasmpool.bench.wasm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a WebAssembly module in the binary format: one memory, functions of type {@code (i32*) ->
 * i32}, active data segments at constant offsets, and exports. Enough for the benchmark modules;
 * not a general encoder.
 */
public final class ModuleWriter {

  private static final int I32 = 0x7f;

  private record Function(String exportName, int params, int extraLocals, Code body) {}

  private record Data(int offset, byte[] bytes) {}

  private long minPages;
  private long maxPages = -1;
  private final List<Function> functions = new ArrayList<>();
  private final List<Data> data = new ArrayList<>();

  /** Starts an empty module. */
  public ModuleWriter() {}

  /**
   * Declares the module's memory, exported as {@code "memory"}.
   *
   * @param initialPages the minimum size in 64 KiB pages
   * @param maximumPages the maximum size in pages, or {@code -1} for none
   * @return this
   */
  public ModuleWriter memory(long initialPages, long maximumPages) {
    this.minPages = initialPages;
    this.maxPages = maximumPages;
    return this;
  }

  /**
   * Adds an exported function {@code (i32 x params) -> i32} with extra i32 locals.
   *
   * @param exportName the export name
   * @param params the number of i32 parameters
   * @param extraLocals the number of i32 locals after the parameters
   * @param body the body, which leaves one i32 on the stack
   * @return this
   */
  public ModuleWriter function(String exportName, int params, int extraLocals, Code body) {
    functions.add(new Function(exportName, params, extraLocals, body));
    return this;
  }

  /**
   * Adds an active data segment for memory 0.
   *
   * @param offset the constant offset
   * @param bytes the contents
   * @return this
   */
  public ModuleWriter data(int offset, byte[] bytes) {
    data.add(new Data(offset, bytes.clone()));
    return this;
  }

  /**
   * Encodes the module.
   *
   * @return the module's bytes
   */
  public byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00});

    ByteArrayOutputStream types = new ByteArrayOutputStream();
    Leb128.writeUnsigned(types, functions.size());
    for (Function f : functions) {
      types.write(0x60);
      Leb128.writeUnsigned(types, f.params());
      for (int i = 0; i < f.params(); i++) {
        types.write(I32);
      }
      types.write(1);
      types.write(I32);
    }
    section(out, 1, types);

    ByteArrayOutputStream funcs = new ByteArrayOutputStream();
    Leb128.writeUnsigned(funcs, functions.size());
    for (int i = 0; i < functions.size(); i++) {
      Leb128.writeUnsigned(funcs, i);
    }
    section(out, 3, funcs);

    ByteArrayOutputStream memory = new ByteArrayOutputStream();
    memory.write(1);
    memory.write(maxPages < 0 ? 0 : 1);
    Leb128.writeUnsigned(memory, minPages);
    if (maxPages >= 0) {
      Leb128.writeUnsigned(memory, maxPages);
    }
    section(out, 5, memory);

    ByteArrayOutputStream exports = new ByteArrayOutputStream();
    Leb128.writeUnsigned(exports, functions.size() + 1L);
    name(exports, "memory");
    exports.write(0x02);
    exports.write(0);
    for (int i = 0; i < functions.size(); i++) {
      name(exports, functions.get(i).exportName());
      exports.write(0x00);
      Leb128.writeUnsigned(exports, i);
    }
    section(out, 7, exports);

    ByteArrayOutputStream code = new ByteArrayOutputStream();
    Leb128.writeUnsigned(code, functions.size());
    for (Function f : functions) {
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      if (f.extraLocals() == 0) {
        body.write(0);
      } else {
        body.write(1);
        Leb128.writeUnsigned(body, f.extraLocals());
        body.write(I32);
      }
      body.writeBytes(f.body().toBytes());
      Leb128.writeUnsigned(code, body.size());
      code.writeBytes(body.toByteArray());
    }
    section(out, 10, code);

    ByteArrayOutputStream segments = new ByteArrayOutputStream();
    Leb128.writeUnsigned(segments, data.size());
    for (Data d : data) {
      segments.write(0);
      segments.write(0x41);
      Leb128.writeSigned(segments, d.offset());
      segments.write(0x0b);
      Leb128.writeUnsigned(segments, d.bytes().length);
      segments.writeBytes(d.bytes());
    }
    section(out, 11, segments);
    return out.toByteArray();
  }

  private static void name(ByteArrayOutputStream out, String name) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    Leb128.writeUnsigned(out, utf8.length);
    out.writeBytes(utf8);
  }

  private static void section(ByteArrayOutputStream out, int id, ByteArrayOutputStream contents) {
    out.write(id);
    Leb128.writeUnsigned(out, contents.size());
    out.writeBytes(contents.toByteArray());
  }
}
