package dev.wasmpool.bench;

import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.util.Arrays;

/**
 * A memory-bound WebAssembly module for the execution benchmarks: {@code fill(words, seed)} writes
 * pseudo-random words, {@code checksum(len)} hashes bytes one at a time, {@code memcpy(dst, src,
 * len)} copies eight bytes at a time and {@code sort(base, n)} shell-sorts {@code n} i32s. Every
 * memory access goes through the runtime's {@code Memory}, so the figures compare memories.
 */
public final class MemoryWorkload {

  /** Initial (and maximum) memory size: 64 pages, 4 MiB. */
  public static final int PAGES = 64;

  private MemoryWorkload() {}

  /**
   * The module's bytes.
   *
   * @return a WebAssembly binary
   */
  public static byte[] wasm() {
    WasmBuilder module = new WasmBuilder().memory(PAGES, PAGES).exportMemory("memory", 0);
    export(module, "fill", 2, fill().locals(1, WasmBuilder.I32));
    export(module, "checksum", 1, checksum().locals(2, WasmBuilder.I32));
    export(module, "memcpy", 3, memcpy().locals(1, WasmBuilder.I32));
    export(module, "sort", 2, sort().locals(5, WasmBuilder.I32));
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
