package dev.wasmpool.bench;

import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;

/**
 * The module shapes of the instantiation benchmarks (DESIGN.md): each declares a memory of
 * maximum 65536 pages and exports {@code touch(n)}, which writes one i32 into each of the first
 * {@code n} pages. Generated deterministically, so every run measures the same bytes.
 */
public enum ModuleShape {
  /** 1 page, 16 bytes of data. */
  SMALL(1, 16, 1),
  /** 17 pages, 64 KiB of data. */
  MEDIUM(17, 64 * 1024, 1),
  /** 256 pages, 4 MiB of data. */
  LARGE(256, 4 * 1024 * 1024, 1),
  /** 20 pages, 4,000 active segments of 8 bytes each, one every 256 bytes. */
  SEGMENTS(20, 4000 * 8, 4000),
  /** The memory of {@link #SEGMENTS} with one 8-byte segment: what 4,000 segments are compared with. */
  ONE_SEGMENT(20, 8, 1);

  /** The distance between the starts of two segments of a many-segment shape, in bytes. */
  static final int SEGMENT_STRIDE = 256;

  /** The declared maximum of every shape's memory, in pages. */
  public static final int MAXIMUM_PAGES = 65536;

  private final int initialPages;
  private final int dataBytes;
  private final int segments;

  ModuleShape(int initialPages, int dataBytes, int segments) {
    this.initialPages = initialPages;
    this.dataBytes = dataBytes;
    this.segments = segments;
  }

  /**
   * The memory's initial size.
   *
   * @return pages
   */
  public int initialPages() {
    return initialPages;
  }

  /**
   * The bytes of data, over all segments.
   *
   * @return bytes
   */
  public int dataBytes() {
    return dataBytes;
  }

  /**
   * The number of active data segments: one at offset 0, or equal ones every {@value
   * #SEGMENT_STRIDE} bytes.
   *
   * @return the count
   */
  public int segments() {
    return segments;
  }

  /**
   * The module's bytes.
   *
   * @return a WebAssembly binary
   */
  public byte[] wasm() {
    return withInitialPages(initialPages);
  }

  /**
   * A module like this shape's but with another initial memory size, for the reset-cost series.
   *
   * @param pages the initial size in pages, at least enough for the data
   * @return a WebAssembly binary
   */
  public byte[] withInitialPages(int pages) {
    WasmBuilder module = new WasmBuilder().memory(pages, MAXIMUM_PAGES).exportMemory("memory", 0);
    MemoryWorkload.export(module, "touch", 1, touchBody().locals(1, WasmBuilder.I32));
    if (segments == 1) {
      return module.activeData(0, patternBytes(dataBytes)).build();
    }
    byte[] segment = patternBytes(dataBytes / segments);
    for (int i = 0; i < segments; i++) {
      module.activeData(i * SEGMENT_STRIDE, segment);
    }
    return module.build();
  }

  /** {@code for (i = 0; i < n; i++) store32(i * 65536, i); return n;} */
  private static Code touchBody() {
    int n = 0;
    int i = 1;
    return new Code()
        .block()
        .loop()
        .localGet(i)
        .localGet(n)
        .i32GeS()
        .brIf(1)
        .localGet(i)
        .i32Const(16)
        .i32Shl()
        .localGet(i)
        .i32Store(0)
        .localGet(i)
        .i32Const(1)
        .i32Add()
        .localSet(i)
        .br(0)
        .end()
        .end()
        .localGet(n);
  }

  /** Non-zero pseudo-random bytes, so that an image cannot be trimmed to nothing. */
  static byte[] patternBytes(int length) {
    byte[] bytes = new byte[length];
    int x = 0x9e3779b9;
    for (int k = 0; k < length; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[k] = (byte) (x | 1);
    }
    return bytes;
  }
}
