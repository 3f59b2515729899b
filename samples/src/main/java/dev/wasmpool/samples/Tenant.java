package dev.wasmpool.samples;

import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
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
    int seed = 0;
    int acc = 1;
    int i = 2;
    int n = 3;
    Code handle = new Code().locals(3, WasmBuilder.I32);
    handle.i32Const(counter).i32Load(0).localSet(n);
    handle.i32Const(counter).localGet(n).i32Const(1).i32Add().i32Store(0);
    handle.localGet(seed).localGet(n).i32Const(1000003).i32Mul().i32Add().localSet(acc);
    handle.block().loop();
    handle.localGet(i).i32Const(data.length).i32GeU().brIf(1);
    handle.localGet(acc).i32Const(31).i32Mul().localGet(i).i32Load(0).i32Add().localSet(acc);
    handle.localGet(i).i32Const(stride(data.length)).i32Add().localSet(i);
    handle.br(0).end().end();
    handle.i32Const(response).localGet(acc).i32Store(0);
    handle.localGet(acc);

    WasmBuilder module = new WasmBuilder().memory(pages, 2 * pages).exportMemory("memory", 0);
    int type = module.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    module.exportFunction("handle", module.function(type, handle));
    return module.activeData(0, data).build();
  }
}
