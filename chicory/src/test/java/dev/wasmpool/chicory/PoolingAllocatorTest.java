package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Value;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Wasmtime's pooling-allocator scenarios ({@code tests/all/pooling_allocator.rs}), run through the
 * Chicory binding on every backend. Base configuration: one memory of at most 64 KiB, one table of
 * 10 elements (see {@link Pools#engine}).
 */
class PoolingAllocatorTest {

  private static final int[] NONE = {};
  private static final int[] I32 = {WasmBuilder.I32};
  private static final int[] I32_I32 = {WasmBuilder.I32, WasmBuilder.I32};

  static List<String> backends() {
    return Pools.backends();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** {@code (memory (export "m") min max)} with {@code grow(n) -> old} and {@code load(addr)}. */
  private static WasmBuilder memoryModule(int min, int max) {
    WasmBuilder b = new WasmBuilder().memory(min, max).exportMemory("m", 0);
    int unary = b.type(I32, I32);
    b.exportFunction("grow", b.function(unary, new Code().localGet(0).memoryGrow()));
    b.exportFunction("load", b.function(unary, new Code().localGet(0).i32Load(0)));
    b.exportFunction("load8", b.function(unary, new Code().localGet(0).i32Load8U(0)));
    int store = b.type(I32_I32, NONE);
    b.exportFunction("store", b.function(store, new Code().localGet(0).localGet(1).i32Store(0)));
    return b;
  }

  private static void assertTraps(ExportFunction f, long... args) {
    ChicoryException e = assertThrows(ChicoryException.class, () -> f.apply(args));
    assertTrue(e.getMessage().contains("out of bounds"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void successful_instantiation(String backend) {
    WasmModule module = new WasmBuilder().memory(1, -1).table(10, -1).parse();
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, module);
        PooledInstance instance = pooled.instantiate()) {
      assertEquals(1, instance.memory().pages());
      assertEquals(10, instance.instance().table(0).size());
      assertEquals(1, engine.metrics().memories());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memory_limit(String backend) {
    try (Engine engine =
        Pools.engine(backend, p -> p.maxMemorySize(3 * PAGE), e -> e.memoryReservation(3 * PAGE))) {
      ModuleValidationException twoMemories =
          assertThrows(
              ModuleValidationException.class,
              () -> PooledWasmModule.load(engine, new WasmBuilder().memory(1, -1).memory(1, -1).parse()));
      assertTrue(
          twoMemories.getMessage().contains("defined memories count of 2 exceeds the per-instance limit of 1"),
          twoMemories.getMessage());

      ModuleValidationException tooLarge =
          assertThrows(
              ModuleValidationException.class,
              () -> PooledWasmModule.load(engine, new WasmBuilder().memory(4, -1).parse()));
      assertTrue(
          tooLarge.getMessage().contains("memory has a minimum byte size of 262144 bytes (256 KiB) which exceeds the"
                  + " maxMemorySize limit of 196608 bytes (192 KiB)"),
          tooLarge.getMessage());

      try (PooledWasmModule pooled = PooledWasmModule.load(engine, memoryModule(0, -1).parse())) {
        try (PooledInstance instance = pooled.instantiate()) {
          ExportFunction grow = instance.export("grow");
          assertEquals(0, grow.apply(1)[0]);
          assertEquals(1, grow.apply(1)[0]);
          assertEquals(2, grow.apply(1)[0]);
          assertEquals(-1, (int) grow.apply(1)[0]);
          assertEquals(-1, (int) grow.apply(1)[0]);
        }
        try (PooledInstance instance = pooled.instantiate()) {
          Memory memory = instance.memory();
          assertEquals(0, memory.pages());
          assertEquals(0, memory.grow(1));
          assertEquals(1, memory.grow(1));
          assertEquals(2, memory.grow(1));
          assertEquals(3, memory.pages());
          assertEquals(-1, memory.grow(1));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memory_init(String backend) {
    WasmModule module =
        new WasmBuilder()
            .memory(2, -1)
            .activeData(65530, ascii("this data spans multiple pages"))
            .activeData(10, ascii("hello world"))
            .parse();
    try (Engine engine =
            Pools.engine(backend, p -> p.maxMemorySize(2 * PAGE), e -> e.memoryReservation(2 * PAGE));
        PooledWasmModule pooled = PooledWasmModule.load(engine, module);
        PooledInstance instance = pooled.instantiate()) {
      assertEquals("this data spans multiple pages", instance.memory().readString(65530, 30));
      assertEquals("hello world", instance.memory().readString(10, 11));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memory_guard_page_trap(String backend) {
    try (Engine engine =
            Pools.engine(backend, p -> p.maxMemorySize(2 * PAGE), e -> e.memoryReservation(2 * PAGE));
        PooledWasmModule pooled = PooledWasmModule.load(engine, memoryModule(0, -1).parse())) {
      for (int i = 0; i < 10; i++) {
        try (PooledInstance instance = pooled.instantiate()) {
          Memory m = instance.memory();
          ExportFunction load = instance.export("load");
          assertTraps(load, 0);
          assertTraps(load, 1);
          assertEquals(0, m.grow(1));
          assertEquals(0, load.apply(0)[0]);
          assertTraps(load, 65536);
          assertTraps(load, 65537);
          assertEquals(1, m.grow(1));
          assertEquals(0, load.apply(65536)[0]);
          assertEquals(-1, m.grow(1), "memory should be at the limit");
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memory_zeroed(String backend) {
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, memoryModule(1, -1).parse())) {
      for (int i = 0; i < 10; i++) {
        try (PooledInstance instance = pooled.instantiate()) {
          Memory m = instance.memory();
          assertEquals(1, m.pages());
          assertArrayEquals(new byte[(int) PAGE], m.readBytes(0, (int) PAGE), "round " + i);
          m.fill((byte) 0xFE, 0, (int) PAGE);
        }
      }
    }
  }

  /** {@code (table (export "t") 0 funcref)} with {@code f: table.grow(ref.null, 1)}. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void table_limit(String backend) {
    try (Engine engine = Pools.engine(backend)) {
      ModuleValidationException e =
          assertThrows(
              ModuleValidationException.class,
              () -> PooledWasmModule.load(engine, new WasmBuilder().table(31, -1).parse()));
      assertTrue(
          e.getMessage().contains("table index 0 has a minimum element size of 31 which exceeds the limit of 10"),
          e.getMessage());

      WasmBuilder b = new WasmBuilder().table(0, -1).exportTable("t", 0);
      int t = b.type(NONE, I32);
      b.exportFunction(
          "f",
          b.function(t, new Code().refNull(WasmBuilder.FUNCREF).i32Const(1).tableGrow(0)));
      try (PooledWasmModule pooled = PooledWasmModule.load(engine, b.parse())) {
        try (PooledInstance instance = pooled.instantiate()) {
          ExportFunction f = instance.export("f");
          for (int i = 0; i < 10; i++) {
            assertEquals(i, f.apply()[0]);
          }
          assertEquals(-1, (int) f.apply()[0]);
          assertEquals(-1, (int) f.apply()[0]);
        }
        try (PooledInstance instance = pooled.instantiate()) {
          TableInstance table = instance.instance().exports().table("t");
          for (int i = 0; i < 10; i++) {
            assertEquals(i, table.size());
            assertEquals(i, table.grow(1, Value.REF_NULL_VALUE, instance.instance()));
          }
          assertEquals(10, table.size());
          assertEquals(-1, table.grow(1, Value.REF_NULL_VALUE, instance.instance()));
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void table_init(String backend) {
    WasmBuilder b = new WasmBuilder().table(6, -1).exportTable("t", 0);
    int[] functions = new int[5];
    for (int arity = 0; arity < 5; arity++) {
      int[] params = new int[arity];
      java.util.Arrays.fill(params, WasmBuilder.I32);
      functions[arity] = b.function(b.type(params, NONE), new Code());
    }
    b.activeElements(1, functions[1], functions[2], functions[3], functions[4]);
    b.activeElements(0, functions[0]);
    try (Engine engine = Pools.engine(backend, p -> p.tableElements(6));
        PooledWasmModule pooled = PooledWasmModule.load(engine, b.parse());
        PooledInstance instance = pooled.instantiate()) {
      TableInstance table = instance.instance().exports().table("t");
      for (int i = 0; i < 5; i++) {
        int function = table.ref(i);
        assertEquals(functions[i], function);
        assertEquals(i, instance.instance().type(instance.instance().functionType(function)).params().size());
      }
      assertEquals(Value.REF_NULL_VALUE, table.ref(5), "funcref should be null");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void table_zeroed(String backend) {
    WasmBuilder b = new WasmBuilder().table(10, -1).exportTable("t", 0);
    int f = b.function(b.type(NONE, NONE), new Code());
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, b.parse())) {
      for (int round = 0; round < 10; round++) {
        try (PooledInstance instance = pooled.instantiate()) {
          TableInstance table = instance.instance().exports().table("t");
          assertEquals(10, table.size());
          for (int i = 0; i < 10; i++) {
            assertEquals(Value.REF_NULL_VALUE, table.ref(i), "round " + round + " element " + i);
            table.setRef(i, f, instance.instance());
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void total_core_instances_limit(String backend) {
    try (Engine engine = Pools.engine(backend, p -> p.totalCoreInstances(10));
        PooledWasmModule pooled = PooledWasmModule.load(engine, new WasmBuilder().parse())) {
      List<PooledInstance> live = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        live.add(pooled.instantiate());
      }
      PoolExhaustedException e = assertThrows(PoolExhaustedException.class, pooled::instantiate);
      assertEquals("maximum concurrent limit of 10 for core instances reached", e.getMessage());
      live.forEach(PooledInstance::close);
      live.clear();
      for (int i = 0; i < 10; i++) {
        live.add(pooled.instantiate());
      }
      live.forEach(PooledInstance::close);
    }
  }

  /** An instance keeps its data (image and passive segments) after its module is closed. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void preserve_data_segments(String backend) {
    WasmBuilder b = new WasmBuilder().memory(1, -1).exportMemory("m", 0);
    b.activeData(0, ascii("active"));
    b.passiveData(ascii("passive"));
    int init = b.type(I32, NONE);
    b.exportFunction(
        "init", b.function(init, new Code().localGet(0).i32Const(0).i32Const(7).memoryInit(1)));
    try (Engine engine = Pools.engine(backend)) {
      PooledWasmModule pooled = PooledWasmModule.load(engine, b.parse());
      try (PooledInstance instance = pooled.instantiate()) {
        pooled.close();
        instance.export("init").apply(100);
        assertEquals("active", instance.memory().readString(0, 6));
        assertEquals("passive", instance.memory().readString(100, 7));
        assertThrows(IllegalStateException.class, pooled::instantiate, "the module is closed");
      }
    }
  }

  /** One slot, alternately a module with an image and one whose data depends on an import. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void switch_image_and_non_image(String backend) {
    WasmModule image = new WasmBuilder().memory(1, -1).activeData(0, ascii("image!")).parse();
    WasmBuilder nb = new WasmBuilder();
    nb.importGlobal("env", "offset", WasmBuilder.I32, false);
    WasmModule nonImage =
        nb.memory(1, -1).activeData(0, new Code().globalGet(0), ascii("dynamic")).parse();
    ImportValues imports =
        ImportValues.builder()
            .addGlobal(new ImportGlobal("env", "offset", new GlobalInstance(Value.i32(3))))
            .build();
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule withImage = PooledWasmModule.load(engine, image);
        PooledWasmModule withoutImage = PooledWasmModule.load(engine, nonImage)) {
      for (int round = 0; round < 4; round++) {
        try (PooledInstance instance = withImage.instantiate()) {
          byte[] expected = new byte[(int) PAGE];
          System.arraycopy(ascii("image!"), 0, expected, 0, 6);
          assertArrayEquals(expected, instance.memory().readBytes(0, (int) PAGE), "image round " + round);
          instance.memory().fill((byte) 0x55, 100, 200);
        }
        try (PooledInstance instance = withoutImage.instantiate(o -> o.withImportValues(imports))) {
          byte[] expected = new byte[(int) PAGE];
          System.arraycopy(ascii("dynamic"), 0, expected, 3, 7);
          assertArrayEquals(expected, instance.memory().readBytes(0, (int) PAGE), "non-image round " + round);
          instance.memory().fill((byte) 0x66, 300, 400);
        }
      }
    }
  }

  /** Growth stops at the pool's maximum; after reuse, bytes beyond the new size read zero. */
  @ParameterizedTest(name = "{0} guard={1}")
  @MethodSource("guards")
  void dynamic_memory_pooling_allocator(String backend, long guard) {
    int maxPages = 16;
    WasmModule module = memoryModule(1, -1).activeData(100, ascii("x")).parse();
    try (Engine engine =
            Pools.engine(
                backend,
                p -> p.maxMemorySize(maxPages * PAGE),
                e -> e.memoryReservation(maxPages * PAGE).memoryGuardSize(guard));
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      try (PooledInstance instance = pooled.instantiate()) {
        ExportFunction grow = instance.export("grow");
        assertEquals(1, grow.apply(maxPages - 1)[0]);
        assertEquals(-1, (int) grow.apply(1)[0], "growth capped at maxMemorySize");
        assertEquals(maxPages, instance.memory().pages());
        instance.memory().fill((byte) 0xFF, 0, maxPages * (int) PAGE);
      }
      try (PooledInstance instance = pooled.instantiate()) {
        Memory m = instance.memory();
        assertEquals(1, m.pages());
        assertEquals('x', m.read(100));
        assertEquals(0, m.read(101));
        assertTraps(instance.export("load"), PAGE);
        assertEquals(1, m.grow(maxPages - 1));
        byte[] rest = m.readBytes((int) PAGE, (maxPages - 1) * (int) PAGE);
        assertArrayEquals(new byte[rest.length], rest, "bytes beyond the size read zero after reuse");
      }
    }
  }

  static List<org.junit.jupiter.params.provider.Arguments> guards() {
    List<org.junit.jupiter.params.provider.Arguments> args = new ArrayList<>();
    for (String backend : Pools.backends()) {
      for (long guard : new long[] {0, PAGE}) {
        args.add(org.junit.jupiter.params.provider.Arguments.of(backend, guard));
      }
    }
    return args;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void zero_memory_pages_disallows_oob(String backend) {
    WasmBuilder b = new WasmBuilder().memory(0, -1);
    int unary = b.type(I32, NONE);
    b.exportFunction("load8", b.function(unary, new Code().localGet(0).i32Load8U(0).drop()));
    b.exportFunction("load16", b.function(unary, new Code().localGet(0).i32Load16U(0).drop()));
    b.exportFunction("load32", b.function(unary, new Code().localGet(0).i32Load(0).drop()));
    b.exportFunction("load64", b.function(unary, new Code().localGet(0).i64Load(0).drop()));
    b.exportFunction(
        "store8", b.function(unary, new Code().localGet(0).i32Const(1).i32Store8(0)));
    b.exportFunction(
        "store32", b.function(unary, new Code().localGet(0).i32Const(1).i32Store(0)));
    b.exportFunction(
        "store64", b.function(unary, new Code().localGet(0).i64Const(1).i64Store(0)));
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, b.parse());
        PooledInstance instance = pooled.instantiate()) {
      for (String name : List.of("load8", "load16", "load32", "load64", "store8", "store32", "store64")) {
        for (long addr : new long[] {0, 1, 1000, 65535, 65536, 0x7fffffffL, 0xffffffffL}) {
          assertTraps(instance.export(name), addr);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void total_memories_limit(String backend) {
    try (Engine engine = Pools.engine(backend, p -> p.totalMemories(10).totalCoreInstances(20));
        PooledWasmModule pooled = PooledWasmModule.load(engine, new WasmBuilder().memory(1, -1).parse())) {
      List<PooledInstance> live = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        live.add(pooled.instantiate());
      }
      PoolExhaustedException e = assertThrows(PoolExhaustedException.class, pooled::instantiate);
      assertEquals("maximum concurrent limit of 10 for memory stripe 0 reached", e.getMessage());
      assertEquals(10, engine.metrics().coreInstances(), "the failed attempt returned its instance slot");
      live.remove(0).close();
      live.add(pooled.instantiate());
      live.forEach(PooledInstance::close);
    }
  }

  @ParameterizedTest(name = "{0} batch={1}")
  @MethodSource("batches")
  void decommit_batching(String backend, int batch) {
    try (Engine engine =
            Pools.engine(
                backend,
                p -> p.totalMemories(10).totalTables(10).totalCoreInstances(10).decommitBatchSize(batch));
        PooledWasmModule pooled = PooledWasmModule.load(engine, memoryModule(1, -1).table(10, -1).parse())) {
      for (int round = 0; round < 3; round++) {
        List<PooledInstance> live = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
          PooledInstance instance = pooled.instantiate();
          live.add(instance);
          Memory m = instance.memory();
          assertArrayEquals(new byte[(int) PAGE], m.readBytes(0, (int) PAGE), "round " + round + " slot " + i);
          TableInstance table = instance.instance().table(0);
          for (int e = 0; e < 10; e++) {
            assertEquals(Value.REF_NULL_VALUE, table.ref(e));
            table.setRef(e, 0, instance.instance());
          }
          m.fill((byte) (round + 1), 0, (int) PAGE);
        }
        live.forEach(PooledInstance::close);
      }
    }
  }

  static List<org.junit.jupiter.params.provider.Arguments> batches() {
    List<org.junit.jupiter.params.provider.Arguments> args = new ArrayList<>();
    for (String backend : Pools.backends()) {
      for (int batch : new int[] {5, 1, 0, 99}) {
        args.add(org.junit.jupiter.params.provider.Arguments.of(backend, batch));
      }
    }
    return args;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void shared_memory_unsupported(String backend) {
    try (Engine engine = Pools.engine(backend)) {
      ModuleValidationException e =
          assertThrows(
              ModuleValidationException.class,
              () -> PooledWasmModule.load(engine, new WasmBuilder().memory(1, 1, true).parse()));
      assertTrue(
          e.getMessage().contains("memory is shared which is not supported in the pooling allocator"),
          e.getMessage());
    }
  }

  /** A maximum memory size that is not a multiple of the page size (761927 bytes). */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void instantiate_non_page_aligned_sizes(String backend) {
    long size = 761927; // 11 pages and a bit
    try (Engine engine =
            Pools.engine(backend, p -> p.maxMemorySize(size), e -> e.memoryReservation(size));
        PooledWasmModule pooled = PooledWasmModule.load(engine, memoryModule(1, -1).parse());
        PooledInstance instance = pooled.instantiate()) {
      Memory m = instance.memory();
      assertEquals(1, m.grow(10), "11 pages fit");
      m.writeI32(11 * (int) PAGE - 4, 42);
      assertEquals(42, m.readInt(11 * (int) PAGE - 4));
      assertEquals(-1, m.grow(1), "12 pages (786432 bytes) do not");
    }
  }

  /** A previous tenant grew to 20 pages; a 5-page module must not see its pages. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void pooling_reuse_resets(String backend) {
    try (Engine engine =
            Pools.engine(backend, p -> p.maxMemorySize(20 * PAGE), e -> e.memoryReservation(20 * PAGE));
        PooledWasmModule big = PooledWasmModule.load(engine, memoryModule(1, -1).parse());
        PooledWasmModule small = PooledWasmModule.load(engine, memoryModule(5, -1).parse())) {
      try (PooledInstance instance = big.instantiate()) {
        assertEquals(1, instance.export("grow").apply(19)[0]);
        instance.export("store").apply(983040, 0x12345678);
      }
      try (PooledInstance instance = small.instantiate()) {
        assertTraps(instance.export("load"), 983040);
        assertEquals(5, instance.memory().pages());
      }
    }
  }

  /** A start function traps after the image (0xaa) is in place; the next tenant sees zeros. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memory_reset_if_instantiation_fails(String backend) {
    byte[] aa = new byte[1024];
    java.util.Arrays.fill(aa, (byte) 0xaa);
    WasmBuilder failing = new WasmBuilder().memory(1, -1).activeData(0, aa);
    failing.start(failing.function(failing.type(NONE, NONE), new Code().unreachable()));
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule bad = PooledWasmModule.load(engine, failing.parse());
        PooledWasmModule plain = PooledWasmModule.load(engine, memoryModule(1, -1).parse())) {
      for (int round = 0; round < 3; round++) {
        ChicoryException e = assertThrows(ChicoryException.class, bad::instantiate);
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        assertEquals(0, engine.metrics().memories(), "the failed instance returned its memory");
        try (PooledInstance instance = plain.instantiate()) {
          byte[] first = instance.memory().readBytes(0, 1024);
          assertArrayEquals(new byte[1024], first, "no 0xaa leaks, round " + round);
          assertNotEquals((byte) 0xaa, instance.memory().read(0));
        }
      }
    }
  }
}
