package dev.wasmpool.fuzz;

import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A random module for the differential fuzzer: a memory, data segments (passive and active), a
 * funcref table, element segments (declarative, active and passive), and one exported function per
 * <em>step</em>. Every step has the type {@code (a i32, v i64, c i32) -> i64} and performs one
 * operation: a load or store of every width with a random static offset, {@code memory.size},
 * {@code memory.grow}, {@code memory.fill}, {@code memory.copy}, {@code memory.init} and {@code
 * data.drop} of each data segment, and the table operations ({@code table.get}, {@code set},
 * {@code grow}, {@code fill}, {@code copy}, {@code init}, {@code elem.drop}, {@code size}, {@code
 * call_indirect}). The driver chooses the arguments at run time, by {@link Kind}.
 */
final class EdgeProgram {

  /** What a step's arguments mean, so that the driver can aim them at edges. */
  enum Kind {
    /** {@code a} is an address, {@code v} a value; {@code width} bytes are accessed. */
    ACCESS,
    /** {@code a} is a page delta. */
    GROW,
    /** {@code a} is a destination address, {@code v} a source address or value, {@code c} a length. */
    BULK_MEMORY,
    /** {@code a} is an element index. */
    TABLE_INDEX,
    /** {@code a} is an element delta. */
    TABLE_GROW,
    /** {@code a} is a destination index, {@code v} a source index, {@code c} a length. */
    BULK_TABLE,
    /** No arguments matter. */
    NONE
  }

  /**
   * One exported step.
   *
   * @param name its export name
   * @param kind what its arguments mean
   * @param width the bytes a load or store accesses
   * @param offset a load's or store's static offset, unsigned
   */
  record Step(String name, Kind kind, int width, long offset) {}

  private static final int I32_WRAP_I64 = 0xa7;
  private static final int I64_EXTEND_I32_S = 0xac;
  private static final int I64_EXTEND_I32_U = 0xad;
  private static final int I32_REINTERPRET_F32 = 0xbc;
  private static final int I64_REINTERPRET_F64 = 0xbd;
  private static final int F32_REINTERPRET_I32 = 0xbe;
  private static final int F64_REINTERPRET_I64 = 0xbf;

  /** Loads: opcode, natural alignment exponent, width, conversion of the result to i64. */
  private static final int[][] LOADS = {
    {0x28, 2, 4, I64_EXTEND_I32_U},
    {0x29, 3, 8, -1},
    {0x2a, 2, 4, I32_REINTERPRET_F32, I64_EXTEND_I32_U},
    {0x2b, 3, 8, I64_REINTERPRET_F64},
    {0x2c, 0, 1, I64_EXTEND_I32_U},
    {0x2d, 0, 1, I64_EXTEND_I32_U},
    {0x2e, 1, 2, I64_EXTEND_I32_U},
    {0x2f, 1, 2, I64_EXTEND_I32_U},
    {0x30, 0, 1, -1},
    {0x31, 0, 1, -1},
    {0x32, 1, 2, -1},
    {0x33, 1, 2, -1},
    {0x34, 2, 4, -1},
    {0x35, 2, 4, -1},
  };

  /** Stores: opcode, natural alignment exponent, width, conversion of the i64 value. */
  private static final int[][] STORES = {
    {0x36, 2, 4, I32_WRAP_I64},
    {0x37, 3, 8, -1},
    {0x38, 2, 4, I32_WRAP_I64, F32_REINTERPRET_I32},
    {0x39, 3, 8, F64_REINTERPRET_I64},
    {0x3a, 0, 1, I32_WRAP_I64},
    {0x3b, 1, 2, I32_WRAP_I64},
    {0x3c, 0, 1, -1},
    {0x3d, 1, 2, -1},
    {0x3e, 2, 4, -1},
  };

  final WasmModule module;
  final String description;
  final List<Step> steps;

  private EdgeProgram(WasmModule module, String description, List<Step> steps) {
    this.module = module;
    this.description = description;
    this.steps = steps;
  }

  /** A program whose memory and table fit {@code shape}'s pool (declared maxima included). */
  static EdgeProgram random(SplittableRandom r, PoolShape shape) {
    WasmBuilder b = new WasmBuilder();
    StringBuilder d = new StringBuilder();
    int callee = b.type(new int[0], new int[] {WasmBuilder.I32});
    int stepType =
        b.type(new int[] {WasmBuilder.I32, WasmBuilder.I64, WasmBuilder.I32}, new int[] {WasmBuilder.I64});
    int functions = 2 + r.nextInt(3);
    for (int f = 0; f < functions; f++) {
      b.function(callee, new Code().i32Const(100 + f));
    }

    int min = r.nextInt(Math.min(shape.maxPages(), 3) + 1);
    int max = r.nextInt(3) == 0 ? -1 : min + r.nextInt(shape.maxPages() - min + 1);
    b.memory(min, max);
    d.append("(memory ").append(min).append(max < 0 ? "" : " " + max).append(')');

    int tmin = r.nextInt(Math.min(shape.tableElements(), 8) + 1);
    int tmax = tmin + r.nextInt(Math.min(shape.tableElements(), 40) - tmin + 1);
    b.table(tmin, tmax);
    d.append(" (table ").append(tmin).append(' ').append(tmax).append(')');

    // Element segments: 0 declares every callee for ref.func; then active ones; then passive ones.
    int[] all = new int[functions];
    for (int f = 0; f < functions; f++) {
      all[f] = f;
    }
    b.declaredElements(all);
    int elementSegments = 1;
    int active = tmin == 0 ? 0 : r.nextInt(3);
    for (int e = 0; e < active; e++) {
      int n = 1 + r.nextInt(Math.min(tmin, 4));
      int offset = r.nextInt(tmin - n + 1);
      b.activeElements(offset, refs(r, n, functions));
      d.append(" (elem ").append(offset).append(" len ").append(n).append(')');
      elementSegments++;
    }
    int passive = 1 + r.nextInt(2);
    for (int e = 0; e < passive; e++) {
      int n = r.nextInt(6);
      b.passiveElements(refs(r, n, functions));
      d.append(" (elem passive len ").append(n).append(')');
      elementSegments++;
    }

    int dataSegments = 0;
    int passiveData = 1 + r.nextInt(3);
    for (int s = 0; s < passiveData; s++) {
      byte[] bytes = randomBytes(r, r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(100));
      b.passiveData(bytes);
      d.append(" (data passive len ").append(bytes.length).append(')');
      dataSegments++;
    }
    if (min > 0) {
      int activeData = r.nextInt(3);
      for (int s = 0; s < activeData; s++) {
        byte[] bytes = randomBytes(r, 1 + r.nextInt(64));
        int offset = r.nextBoolean() ? r.nextInt(min * PoolShape.PAGE - bytes.length + 1) : min * PoolShape.PAGE - bytes.length;
        b.activeData(offset, bytes);
        d.append(" (data ").append(offset).append(" len ").append(bytes.length).append(')');
        dataSegments++;
      }
    }

    List<Step> steps = new ArrayList<>();
    for (int[] load : LOADS) {
      for (int variant = 0; variant < 2; variant++) {
        int offset = staticOffset(r);
        Code c = new Code().localGet(0).memOp(load[0], r.nextInt(4) == 0 ? 0 : load[1], offset);
        for (int k = 3; k < load.length; k++) {
          if (load[k] >= 0) {
            c.op(load[k]);
          }
        }
        steps.add(export(b, stepType, c, "load" + Integer.toHexString(load[0]) + "@" + Integer.toUnsignedString(offset) + "#" + variant, Kind.ACCESS, load[2], offset));
      }
    }
    for (int[] store : STORES) {
      for (int variant = 0; variant < 2; variant++) {
        int offset = staticOffset(r);
        Code c = new Code().localGet(0).localGet(1);
        for (int k = 3; k < store.length; k++) {
          if (store[k] >= 0) {
            c.op(store[k]);
          }
        }
        c.memOp(store[0], r.nextInt(4) == 0 ? 0 : store[1], offset).i64Const(0);
        steps.add(export(b, stepType, c, "store" + Integer.toHexString(store[0]) + "@" + Integer.toUnsignedString(offset) + "#" + variant, Kind.ACCESS, store[2], offset));
      }
    }
    steps.add(export(b, stepType, new Code().memorySize().op(I64_EXTEND_I32_U), "memory.size", Kind.NONE, 0, 0));
    steps.add(export(b, stepType, new Code().localGet(0).memoryGrow().op(I64_EXTEND_I32_S), "memory.grow", Kind.GROW, 0, 0));
    steps.add(export(b, stepType, bulk().memoryFill().i64Const(0), "memory.fill", Kind.BULK_MEMORY, 0, 0));
    steps.add(export(b, stepType, bulk().memoryCopy().i64Const(0), "memory.copy", Kind.BULK_MEMORY, 0, 0));
    for (int s = 0; s < dataSegments; s++) {
      steps.add(export(b, stepType, bulk().memoryInit(s).i64Const(0), "memory.init " + s, Kind.BULK_MEMORY, 0, 0));
      steps.add(export(b, stepType, new Code().dataDrop(s).i64Const(0), "data.drop " + s, Kind.NONE, 0, 0));
    }
    steps.add(export(b, stepType, new Code().tableSize(0).op(I64_EXTEND_I32_U), "table.size", Kind.NONE, 0, 0));
    steps.add(export(b, stepType, new Code().localGet(0).tableGet(0).refIsNull().op(I64_EXTEND_I32_U), "table.get", Kind.TABLE_INDEX, 0, 0));
    steps.add(export(b, stepType, new Code().localGet(0).callIndirect(callee, 0).op(I64_EXTEND_I32_U), "call_indirect", Kind.TABLE_INDEX, 0, 0));
    for (int f = -1; f < functions; f++) {
      String ref = f < 0 ? "null" : "f" + f;
      steps.add(export(b, stepType, ref(new Code().localGet(0), f).tableSet(0).i64Const(0), "table.set " + ref, Kind.TABLE_INDEX, 0, 0));
      steps.add(export(b, stepType, ref(new Code(), f).localGet(0).tableGrow(0).op(I64_EXTEND_I32_S), "table.grow " + ref, Kind.TABLE_GROW, 0, 0));
      steps.add(export(b, stepType, ref(new Code().localGet(0), f).localGet(2).tableFill(0).i64Const(0), "table.fill " + ref, Kind.BULK_TABLE, 0, 0));
    }
    steps.add(export(b, stepType, bulk().tableCopy(0, 0).i64Const(0), "table.copy", Kind.BULK_TABLE, 0, 0));
    for (int e = 0; e < elementSegments; e++) {
      steps.add(export(b, stepType, bulk().tableInit(e, 0).i64Const(0), "table.init " + e, Kind.BULK_TABLE, 0, 0));
      steps.add(export(b, stepType, new Code().elemDrop(e).i64Const(0), "elem.drop " + e, Kind.NONE, 0, 0));
    }
    return new EdgeProgram(b.parse(), d.toString(), steps);
  }

  /** {@code a, (i32) v, c} on the stack. */
  private static Code bulk() {
    return new Code().localGet(0).localGet(1).op(I32_WRAP_I64).localGet(2);
  }

  private static Code ref(Code c, int function) {
    return function < 0 ? c.refNull(WasmBuilder.FUNCREF) : c.refFunc(function);
  }

  private static Step export(
      WasmBuilder b, int type, Code body, String name, Kind kind, int width, int offset) {
    b.exportFunction(name, b.function(type, body));
    return new Step(name, kind, width, Integer.toUnsignedLong(offset));
  }

  private static int staticOffset(SplittableRandom r) {
    int[] edges = {0, 0, 1, 3, 4095, 65535, 65536, 65537, 0x7fffffff, -1};
    return r.nextInt(4) == 0 ? r.nextInt(3 * PoolShape.PAGE) : edges[r.nextInt(edges.length)];
  }

  private static int[] refs(SplittableRandom r, int n, int functions) {
    int[] refs = new int[n];
    for (int i = 0; i < n; i++) {
      refs[i] = r.nextInt(functions);
    }
    return refs;
  }

  private static byte[] randomBytes(SplittableRandom r, int n) {
    byte[] bytes = new byte[n];
    for (int i = 0; i < n; i++) {
      bytes[i] = (byte) r.nextInt(256);
    }
    return bytes;
  }

  @Override
  public String toString() {
    return description;
  }
}
