package dev.wasmpool.fuzz;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Value;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A random module whose initial state the fuzzer knows: one memory of a few pages with active data
 * segments (empty ones, overlapping ones, ones across page ends) and passive ones, and perhaps a
 * funcref table with active element segments. A tenant must see exactly that state, {@link
 * #scan}; then it {@link #dirty}s everything it can reach, so that the next tenant of the slot
 * would see any byte or element a reset missed.
 */
final class TenantModule {

  private static final int PAGE = PoolShape.PAGE;

  final String description;
  final WasmModule module;
  private final int initialPages;
  private final int maximumPages;
  private final byte[] initialMemory;
  private final int[] initialTable;
  private final int functions;

  private TenantModule(
      String description,
      WasmModule module,
      int initialPages,
      int maximumPages,
      byte[] initialMemory,
      int[] initialTable,
      int functions) {
    this.description = description;
    this.module = module;
    this.initialPages = initialPages;
    this.maximumPages = maximumPages;
    this.initialMemory = initialMemory;
    this.initialTable = initialTable;
    this.functions = functions;
  }

  /** A module that fits {@code shape}'s limits (its maximum may exceed them: grow then stops early). */
  static TenantModule random(SplittableRandom r, PoolShape shape) {
    StringBuilder d = new StringBuilder();
    WasmBuilder b = new WasmBuilder();
    int functions = 1 + r.nextInt(3);
    int type = b.type(new int[0], new int[] {WasmBuilder.I32});
    for (int f = 0; f < functions; f++) {
      b.function(type, new Code().i32Const(1000 + f));
    }

    int min = r.nextInt(shape.maxPages() + 1);
    int max = r.nextInt(3) == 0 ? -1 : min + r.nextInt(shape.maxPages() - min + 2);
    b.memory(min, max);
    d.append("(memory ").append(min).append(max < 0 ? "" : " " + max).append(')');
    byte[] memory = new byte[min * PAGE];
    int segments = r.nextInt(6);
    for (int s = 0; s < segments; s++) {
      int length = dataLength(r, memory.length);
      int offset = dataOffset(r, memory.length, length);
      byte[] bytes = new byte[length];
      for (int i = 0; i < length; i++) {
        bytes[i] = (byte) (1 + r.nextInt(255));
      }
      if (r.nextInt(5) == 0) {
        b.passiveData(bytes);
        d.append(" (data passive len ").append(length).append(')');
      } else {
        b.activeData(offset, bytes);
        System.arraycopy(bytes, 0, memory, offset, length);
        d.append(" (data ").append(offset).append(" len ").append(length).append(')');
      }
    }

    int[] table = new int[0];
    if (r.nextInt(5) < 3) {
      int tmin = r.nextInt(Math.min(shape.tableElements(), 64) + 1);
      int tmax = r.nextBoolean() ? -1 : tmin + r.nextInt(shape.tableElements() - tmin + 3);
      b.table(tmin, tmax);
      d.append(" (table ").append(tmin).append(tmax < 0 ? "" : " " + tmax).append(')');
      table = new int[tmin];
      Arrays.fill(table, Value.REF_NULL_VALUE);
      int elements = tmin == 0 ? 0 : r.nextInt(4);
      for (int e = 0; e < elements; e++) {
        int n = 1 + r.nextInt(Math.min(tmin, 5));
        int offset = r.nextInt(tmin - n + 1);
        int[] refs = new int[n];
        for (int i = 0; i < n; i++) {
          refs[i] = r.nextInt(functions);
        }
        b.activeElements(offset, refs);
        System.arraycopy(refs, 0, table, offset, n);
        d.append(" (elem ").append(offset).append(' ').append(Arrays.toString(refs)).append(')');
      }
    }
    return new TenantModule(d.toString(), b.parse(), min, max, memory, table, functions);
  }

  private static int dataLength(SplittableRandom r, int memoryBytes) {
    if (memoryBytes == 0 || r.nextInt(8) == 0) {
      return 0;
    }
    int length =
        switch (r.nextInt(4)) {
          case 0 -> 1 + r.nextInt(16);
          case 1 -> 1 + r.nextInt(300);
          case 2 -> 1 + r.nextInt(5000);
          default -> 1 + r.nextInt(PAGE + PAGE / 2);
        };
    return Math.min(length, memoryBytes);
  }

  /** Near 0, near the end, across a page or 4 KiB boundary, or anywhere. */
  private static int dataOffset(SplittableRandom r, int memoryBytes, int length) {
    int room = memoryBytes - length;
    if (room <= 0) {
      return 0;
    }
    int offset =
        switch (r.nextInt(5)) {
          case 0 -> r.nextInt(Math.min(room, 64) + 1);
          case 1 -> room - r.nextInt(Math.min(room, 64) + 1);
          case 2 -> (1 + r.nextInt(Math.max(1, memoryBytes / PAGE))) * PAGE - length / 2 - 1;
          case 3 -> (1 + r.nextInt(Math.max(1, memoryBytes / 4096))) * 4096 - 1 - r.nextInt(8);
          default -> r.nextInt(room + 1);
        };
    return Math.max(0, Math.min(room, offset));
  }

  /**
   * Checks that {@code instance} sees exactly this module's initial state: its memory's size and
   * every byte, its table's size and every element.
   *
   * @throws AssertionError naming the first difference
   */
  void scan(PooledInstance instance, String context) {
    Memory memory = instance.memory();
    if (memory.pages() != initialPages) {
      throw new AssertionError(context + ": memory has " + memory.pages() + " pages, expected " + initialPages);
    }
    assertBytes(memory, 0, initialMemory, context + ": initial memory");
    if (initialTable.length > 0 || hasTable()) {
      TableInstance table = instance.instance().table(0);
      if (table.size() != initialTable.length) {
        throw new AssertionError(context + ": table has " + table.size() + " elements, expected " + initialTable.length);
      }
      for (int i = 0; i < initialTable.length; i++) {
        if (table.ref(i) != initialTable[i]) {
          throw new AssertionError(
              context + ": table element " + i + " is " + table.ref(i) + ", expected " + initialTable[i]);
        }
      }
    }
  }

  /** Whether the module defines a table. */
  boolean hasTable() {
    return module.tableSection().tableCount() > 0;
  }

  private static void assertBytes(Memory memory, int offset, byte[] expected, String what) {
    byte[] actual = memory.readBytes(offset, expected.length);
    int at = Arrays.mismatch(actual, expected);
    if (at >= 0) {
      throw new AssertionError(
          String.format(
              "%s: byte at %d (0x%x) is 0x%02x, expected 0x%02x (%d bytes differ)",
              what, offset + at, offset + at, actual[at] & 0xff, expected[at] & 0xff, differing(actual, expected)));
    }
  }

  private static int differing(byte[] a, byte[] b) {
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      n += a[i] != b[i] ? 1 : 0;
    }
    return n;
  }

  /**
   * Grows the memory (checking that grown pages read zero) and the table (checking the new
   * elements), then overwrites every byte and element with {@code r}'s values.
   */
  void dirty(PooledInstance instance, PoolShape shape, SplittableRandom r, String context) {
    dirty(instance, shape, r, context, false);
  }

  /**
   * As {@link #dirty(PooledInstance, PoolShape, SplittableRandom, String)}; with {@code
   * growMayFail} (faults injected) a refused memory grow is accepted if the size is unchanged.
   */
  void dirty(PooledInstance instance, PoolShape shape, SplittableRandom r, String context, boolean growMayFail) {
    Memory memory = instance.memory();
    int limit = Math.min(maximumPages < 0 ? Integer.MAX_VALUE : maximumPages, shape.maxPages());
    int pages = memory.pages();
    if (limit > pages && r.nextInt(4) != 0) {
      int delta = 1 + r.nextInt(limit - pages);
      int old = memory.grow(delta);
      if (old == -1 && growMayFail && memory.pages() == pages) {
        delta = 0;
      } else if (old != pages) {
        throw new AssertionError(context + ": grow(" + delta + ") from " + pages + " pages returned " + old);
      }
      assertBytes(memory, pages * PAGE, new byte[delta * PAGE], context + ": grown memory");
      pages += delta;
    }
    if (r.nextInt(3) == 0) {
      int refused = memory.grow(limit - pages + 1);
      if (refused != -1 || memory.pages() != pages) {
        throw new AssertionError(
            context + ": grow past the limit of " + limit + " pages returned " + refused + ", size " + memory.pages());
      }
    }
    byte[] junk = new byte[pages * PAGE];
    for (int i = 0; i < junk.length; i += 8) {
      long v = r.nextLong() | 0x0101010101010101L;
      for (int k = 0; k < 8 && i + k < junk.length; k++) {
        junk[i + k] = (byte) (v >>> (8 * k));
      }
    }
    memory.write(0, junk);

    if (!hasTable()) {
      return;
    }
    TableInstance table = instance.instance().table(0);
    int size = table.size();
    int room = shape.tableElements() - size;
    if (room > 0 && r.nextBoolean()) {
      int delta = 1 + r.nextInt(Math.min(room, 100));
      int fill = r.nextInt(functions);
      int old = table.grow(delta, fill, instance.instance());
      if (old != -1) {
        if (old != size) {
          throw new AssertionError(context + ": table.grow returned " + old + ", size was " + size);
        }
        for (int i = size; i < size + delta; i++) {
          if (table.ref(i) != fill) {
            throw new AssertionError(context + ": grown table element " + i + " is " + table.ref(i));
          }
        }
      }
    }
    for (int i = 0; i < table.size(); i++) {
      table.setRef(i, r.nextInt(functions), instance.instance());
    }
  }

  /** The module's data and element segments, for failure messages. */
  @Override
  public String toString() {
    return description;
  }

  /** Modules for one pool. */
  static List<TenantModule> several(SplittableRandom r, PoolShape shape, int count) {
    List<TenantModule> modules = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      modules.add(random(r, shape));
    }
    return modules;
  }
}
