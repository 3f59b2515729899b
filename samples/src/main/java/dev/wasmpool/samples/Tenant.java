package dev.wasmpool.samples;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * One tenant of the request-handler sample: a small WebAssembly module with its own memory size
 * and its own data (think: a compiled plugin with its configuration baked in), and the answer its
 * {@code handle} export must give, computed in Java so that every response can be checked.
 *
 * <p>The module, written out as text:
 *
 * <pre>{@code
 * (module
 *   (memory (export "memory") PAGES (* 2 PAGES))
 *   (data (i32.const 0) "...DATA bytes of tenant data...")
 *   (func (export "handle") (param $seed i32) (result i32) (local $acc i32) (local $i i32) (local $n i32)
 *     ;; $n = requests this instance has seen: 0 in a fresh instance, so a reused memory that was
 *     ;; not reset changes the answer
 *     (local.set $n (i32.load (i32.const COUNTER)))
 *     (i32.store (i32.const COUNTER) (i32.add (local.get $n) (i32.const 1)))
 *     (local.set $acc (i32.add (local.get $seed) (i32.mul (local.get $n) (i32.const 1000003))))
 *     ;; fold 64 words spread over the whole data segment, so every data page is read
 *     (block (loop
 *       (br_if 1 (i32.ge_u (local.get $i) (i32.const DATA)))
 *       (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (i32.load (local.get $i))))
 *       (local.set $i (i32.add (local.get $i) (i32.const STRIDE)))
 *       (br 0)))
 *     (i32.store (i32.const RESPONSE) (local.get $acc))
 *     (local.get $acc)))
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the tenant's name
 * @param pages the memory's initial size in 64 KiB pages
 * @param data the data segment at address 0
 * @param wasm the module's binary
 */
record Tenant(String name, int pages, byte[] data, byte[] wasm) {

  /** Bytes of a WebAssembly page. */
  static final int PAGE = 65536;

  /** Words the handler folds per request. */
  private static final int WORDS = 64;

  /** Memory sizes and data sizes of the tenant shapes, used round-robin. */
  private static final int[][] SHAPES = {{1, 1024}, {4, 16 << 10}, {17, 64 << 10}, {64, 256 << 10}};

  /**
   * The {@code index}-th tenant: its shape cycles through 1, 4, 17 and 64 pages with 1, 16, 64 and
   * 256 KiB of data, and its data bytes are random from a seed derived from {@code index}.
   *
   * @param index the tenant's number, from 0
   * @return the tenant
   */
  static Tenant of(int index) {
    int[] shape = SHAPES[index % SHAPES.length];
    byte[] data = new byte[shape[1]];
    new SplittableRandom(0x7e4a47L + index).nextBytes(data);
    return new Tenant("tenant-" + index, shape[0], data, assemble(shape[0], data));
  }

  /** Bytes of linear memory an instance of this tenant starts with. */
  long memoryBytes() {
    return (long) pages * PAGE;
  }

  /**
   * What {@code handle(seed)} returns from a fresh instance.
   *
   * @param seed the request's argument
   * @return the expected response
   */
  int expected(int seed) {
    ByteBuffer words = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int acc = seed;
    for (int i = 0; i < data.length; i += stride(data.length)) {
      acc = acc * 31 + words.getInt(i);
    }
    return acc;
  }

  private static int stride(int dataBytes) {
    return dataBytes / WORDS;
  }

  private static byte[] assemble(int pages, byte[] data) {
    int counter = pages * PAGE - 4;
    int response = pages * PAGE - 8;

    WasmBytes types = new WasmBytes().u32(1).raw(0x60, 1, 0x7f, 1, 0x7f); // (i32) -> i32
    WasmBytes functions = new WasmBytes().u32(1).u32(0);
    WasmBytes memories = new WasmBytes().u32(1).raw(0x01).u32(pages).u32(2L * pages);
    WasmBytes exports =
        new WasmBytes().u32(2).name("handle").raw(0x00).u32(0).name("memory").raw(0x02).u32(0);

    WasmBytes body = new WasmBytes().u32(1).u32(3).raw(0x7f); // locals: 3 x i32 ($acc $i $n)
    body.raw(0x41).s32(counter).raw(0x28).u32(2).u32(0).raw(0x21).u32(3); // $n = load(COUNTER)
    body.raw(0x41).s32(counter).raw(0x20).u32(3).raw(0x41).s32(1).raw(0x6a); // COUNTER, $n + 1
    body.raw(0x36).u32(2).u32(0); // store
    body.raw(0x20).u32(0).raw(0x20).u32(3).raw(0x41).s32(1000003).raw(0x6c, 0x6a); // seed + n*K
    body.raw(0x21).u32(1); // $acc =
    body.raw(0x02, 0x40, 0x03, 0x40); // block loop
    body.raw(0x20).u32(2).raw(0x41).s32(data.length).raw(0x4f).raw(0x0d).u32(1); // br_if i >= DATA
    body.raw(0x20).u32(1).raw(0x41).s32(31).raw(0x6c); // acc * 31
    body.raw(0x20).u32(2).raw(0x28).u32(2).u32(0).raw(0x6a).raw(0x21).u32(1); // + load(i)
    body.raw(0x20).u32(2).raw(0x41).s32(stride(data.length)).raw(0x6a).raw(0x21).u32(2); // i +=
    body.raw(0x0c).u32(0).raw(0x0b, 0x0b); // br 0, end loop, end block
    body.raw(0x41).s32(response).raw(0x20).u32(1).raw(0x36).u32(2).u32(0); // store RESPONSE
    body.raw(0x20).u32(1).raw(0x0b); // acc, end
    WasmBytes code = new WasmBytes().u32(1).bytes(body.toByteArray());

    WasmBytes segments =
        new WasmBytes().u32(1).raw(0x00).raw(0x41).s32(0).raw(0x0b).bytes(data); // active, memory 0

    return new WasmBytes()
        .raw(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)
        .section(1, types)
        .section(3, functions)
        .section(5, memories)
        .section(7, exports)
        .section(10, code)
        .section(11, segments)
        .toByteArray();
  }
}
