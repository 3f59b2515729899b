package dev.wasmpool.bench;

import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.util.Arrays;
import java.util.List;

/**
 * A memory-bound WebAssembly module for the execution benchmarks: {@code fill(words, seed)} writes
 * pseudo-random words, {@code checksum(len)} hashes bytes one at a time, {@code memcpy(dst, src,
 * len)} copies eight bytes at a time, {@code sort(base, n)} shell-sorts {@code n} i32s, {@code
 * widths(src, dst, len)} runs every load and store width of i32, i64, f32 and f64 over each 8-byte
 * cell, {@code bulk(dst, src, len)} is one {@code memory.copy} and one {@code memory.fill}, and
 * {@code host(src, dst, len, chunk)} has the host copy {@code len} bytes in chunks through the
 * imported {@value #HOST_MODULE}.{@value #HOST_COPY}(src, dst, len), which reads them with {@code
 * Memory.readBytes} and writes them with {@code Memory.write} ({@link #hostCopy}). Every memory
 * access goes through the runtime's {@code Memory}, so the figures compare memories.
 */
public final class MemoryWorkload {

  /** Initial (and maximum) memory size: 64 pages, 4 MiB. */
  public static final int PAGES = 64;

  /** The module of the imported host function. */
  public static final String HOST_MODULE = "env";

  /** The name of the imported host function. */
  public static final String HOST_COPY = "copy";

  private MemoryWorkload() {}

  /**
   * The host function the module imports: {@code copy(src, dst, len)} reads {@code len} bytes at
   * {@code src} and writes them at {@code dst}, through the calling instance's memory.
   *
   * @return the function, for the instance's imports
   */
  public static HostFunction hostCopy() {
    return new HostFunction(
        HOST_MODULE,
        HOST_COPY,
        FunctionType.of(List.of(ValType.I32, ValType.I32, ValType.I32), List.of(ValType.I32)),
        (instance, args) -> {
          Memory memory = instance.memory();
          byte[] bytes = memory.readBytes((int) args[0], (int) args[2]);
          memory.write((int) args[1], bytes);
          return new long[] {bytes.length};
        });
  }

  /**
   * The module's bytes.
   *
   * @return a WebAssembly binary
   */
  public static byte[] wasm() {
    WasmBuilder module = new WasmBuilder();
    int copyType = module.type(new int[] {WasmBuilder.I32, WasmBuilder.I32, WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    int copy = module.importFunction(HOST_MODULE, HOST_COPY, copyType);
    module.memory(PAGES, PAGES).exportMemory("memory", 0);
    export(module, "fill", 2, fill().locals(1, WasmBuilder.I32));
    export(module, "checksum", 1, checksum().locals(2, WasmBuilder.I32));
    export(module, "memcpy", 3, memcpy().locals(1, WasmBuilder.I32));
    export(module, "sort", 2, sort().locals(5, WasmBuilder.I32));
    export(module, "widths", 3, widths().locals(1, WasmBuilder.I32).locals(1, WasmBuilder.I64));
    export(module, "bulk", 3, bulk());
    export(module, "host", 4, host(copy).locals(1, WasmBuilder.I32));
    return module.build();
  }

  /** Adds {@code name} of type {@code (i32 x params) -> i32}. */
  static void export(WasmBuilder module, String name, int params, Code body) {
    int[] i32s = new int[params];
    Arrays.fill(i32s, WasmBuilder.I32);
    int type = module.type(i32s, new int[] {WasmBuilder.I32});
    module.exportFunction(name, module.function(type, body));
  }

  /** {@code for (i = 0; i < n; i++) { x = x * 1664525 + 1013904223; store32(i * 4, x); } return x;} */
  private static Code fill() {
    int n = 0;
    int x = 1;
    int i = 2;
    Code c = new Code().block().loop();
    exitIfGreaterOrEqual(c, i, n);
    c.localGet(i).i32Const(2).i32Shl();
    c.localGet(x).i32Const(1664525).i32Mul().i32Const(1013904223).i32Add().localTee(x);
    c.i32Store(0);
    increment(c, i, 1);
    return c.br(0).end().end().localGet(x);
  }

  /** {@code for (i = 0; i < len; i++) h = rotl(h, 5) ^ load8_u(i); return h;} */
  private static Code checksum() {
    int len = 0;
    int h = 1;
    int i = 2;
    Code c = new Code().block().loop();
    exitIfGreaterOrEqual(c, i, len);
    c.localGet(h).i32Const(5).i32Rotl().localGet(i).i32Load8U(0).i32Xor().localSet(h);
    increment(c, i, 1);
    return c.br(0).end().end().localGet(h);
  }

  /** {@code for (i = 0; i < len; i += 8) store64(dst + i, load64(src + i)); return len;} */
  private static Code memcpy() {
    int dst = 0;
    int src = 1;
    int len = 2;
    int i = 3;
    Code c = new Code().block().loop();
    exitIfGreaterOrEqual(c, i, len);
    c.localGet(dst).localGet(i).i32Add();
    c.localGet(src).localGet(i).i32Add().i64Load(0);
    c.i64Store(0);
    increment(c, i, 8);
    return c.br(0).end().end().localGet(len);
  }

  /**
   * For each 8-byte cell {@code k} below {@code len}: stores of every width derived from a running
   * i64 {@code acc} into {@code dst + k} (i32 8/16/32, i64 8/16/32/64, f32 and f64 of converted
   * integers, so never a NaN), then loads of every width from {@code src + k} (i32 8/16 signed and
   * unsigned, 32; i64 8/16/32 signed and unsigned, 64) and of f32 and f64 from {@code dst + k}, all
   * folded into {@code acc}; returns {@code acc} wrapped to i32.
   */
  private static Code widths() {
    int src = 0;
    int dst = 1;
    int len = 2;
    int k = 3;
    int acc = 4;
    Code c = new Code().block().loop();
    exitIfGreaterOrEqual(c, k, len);
    // Stores into dst + k (the f64 into the next cell, which the next round overwrites first).
    at(c, dst, k).localGet(acc).memOp(0x37, 3, 0); // i64.store
    at(c, dst, k).localGet(acc).op(0xa7).memOp(0x3a, 0, 1); // i32.store8
    at(c, dst, k).localGet(acc).op(0xa7).memOp(0x3b, 1, 2); // i32.store16
    at(c, dst, k).localGet(acc).op(0xa7).memOp(0x36, 2, 4); // i32.store
    at(c, dst, k).localGet(acc).memOp(0x3c, 0, 3); // i64.store8
    at(c, dst, k).localGet(acc).memOp(0x3d, 1, 6); // i64.store16
    at(c, dst, k).localGet(acc).memOp(0x3e, 2, 4); // i64.store32
    at(c, dst, k).localGet(acc).op(0xa7).op(0xb2).memOp(0x38, 2, 0); // f32.store (f32.convert_i32_s)
    at(c, dst, k).localGet(acc).op(0xb9).memOp(0x39, 3, 8); // f64.store (f64.convert_i64_s), next cell
    // acc = rotl(acc, 7) ^ i64.load(src + k), then + every other load.
    c.localGet(acc).i64Const(7).op(0x89);
    at(c, src, k).memOp(0x29, 3, 0).op(0x85);
    at(c, src, k).memOp(0x2c, 0, 0).op(0xac).op(0x7c); // i32.load8_s
    at(c, src, k).memOp(0x2d, 0, 1).op(0xad).op(0x7c); // i32.load8_u
    at(c, src, k).memOp(0x2e, 1, 2).op(0xac).op(0x7c); // i32.load16_s
    at(c, src, k).memOp(0x2f, 1, 4).op(0xad).op(0x7c); // i32.load16_u
    at(c, src, k).memOp(0x28, 2, 4).op(0xad).op(0x7c); // i32.load
    at(c, src, k).memOp(0x30, 0, 5).op(0x7c); // i64.load8_s
    at(c, src, k).memOp(0x31, 0, 6).op(0x7c); // i64.load8_u
    at(c, src, k).memOp(0x32, 1, 2).op(0x7c); // i64.load16_s
    at(c, src, k).memOp(0x33, 1, 6).op(0x7c); // i64.load16_u
    at(c, src, k).memOp(0x34, 2, 0).op(0x7c); // i64.load32_s
    at(c, src, k).memOp(0x35, 2, 4).op(0x7c); // i64.load32_u
    at(c, dst, k).memOp(0x2a, 2, 0).op(0xbc).op(0xad).op(0x7c); // f32.load, i32.reinterpret_f32
    at(c, dst, k).memOp(0x2b, 3, 8).op(0xbd).op(0x85); // f64.load, i64.reinterpret_f64
    c.localSet(acc);
    increment(c, k, 8);
    return c.br(0).end().end().localGet(acc).op(0xa7);
  }

  /** {@code memory.copy(dst, src, len); memory.fill(dst + len, len & 0xff, len); return len;} */
  private static Code bulk() {
    int dst = 0;
    int src = 1;
    int len = 2;
    Code c = new Code();
    c.localGet(dst).localGet(src).localGet(len).memoryCopy();
    c.localGet(dst).localGet(len).i32Add().localGet(len).localGet(len).memoryFill();
    return c.localGet(len);
  }

  /**
   * {@code for (k = 0; k < len; k += chunk) copy(src + k, dst + k, chunk); return len;} through the
   * imported host function.
   */
  private static Code host(int copy) {
    int src = 0;
    int dst = 1;
    int len = 2;
    int chunk = 3;
    int k = 4;
    Code c = new Code().block().loop();
    exitIfGreaterOrEqual(c, k, len);
    at(c, src, k);
    at(c, dst, k);
    c.localGet(chunk).call(copy).drop();
    c.localGet(k).localGet(chunk).i32Add().localSet(k);
    return c.br(0).end().end().localGet(len);
  }

  /** Pushes {@code base + index}. */
  private static Code at(Code c, int base, int index) {
    return c.localGet(base).localGet(index).i32Add();
  }

  /** Shell sort with halving gaps of {@code n} signed i32s at {@code base}; returns 0. */
  private static Code sort() {
    int base = 0;
    int n = 1;
    int gap = 2;
    int i = 3;
    int j = 4;
    int tmp = 5;
    int prev = 6;
    Code c = new Code();
    c.localGet(n).i32Const(1).i32ShrU().localSet(gap);
    c.block().loop(); // gap loop
    c.localGet(gap).i32Eqz().brIf(1);
    c.localGet(gap).localSet(i);
    c.block().loop(); // i loop
    exitIfGreaterOrEqual(c, i, n);
    element(c, base, i).i32Load(0).localSet(tmp);
    c.localGet(i).localSet(j);
    c.block().loop(); // j loop: shift larger elements up by gap
    c.localGet(j).localGet(gap).i32LtS().brIf(1);
    c.localGet(base).localGet(j).localGet(gap).i32Sub().i32Const(2).i32Shl().i32Add().i32Load(0);
    c.localTee(prev).localGet(tmp).i32GtS().i32Eqz().brIf(1);
    element(c, base, j).localGet(prev).i32Store(0);
    c.localGet(j).localGet(gap).i32Sub().localSet(j);
    c.br(0).end().end();
    element(c, base, j).localGet(tmp).i32Store(0);
    increment(c, i, 1);
    c.br(0).end().end();
    c.localGet(gap).i32Const(1).i32ShrU().localSet(gap);
    c.br(0).end().end();
    return c.i32Const(0);
  }

  private static Code element(Code c, int base, int index) {
    return c.localGet(base).localGet(index).i32Const(2).i32Shl().i32Add();
  }

  private static void exitIfGreaterOrEqual(Code c, int counter, int limit) {
    c.localGet(counter).localGet(limit).i32GeS().brIf(1);
  }

  private static void increment(Code c, int local, int by) {
    c.localGet(local).i32Const(by).i32Add().localSet(local);
  }
}
