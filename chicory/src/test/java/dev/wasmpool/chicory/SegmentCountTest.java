package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Value;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.lang.management.ManagementFactory;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Segment count does not matter after load: what the image covers and which segments remain to be
 * written are decided when the module is loaded, so instantiating a module with thousands of
 * active segments neither evaluates their offsets again nor allocates per segment.
 */
class SegmentCountTest {

  private static final int SEGMENTS = 4000;
  private static final int PAGES = 20;

  /** Every segment is 8 bytes at {@code 256 * i}: 4,000 segments over the first 16 pages. */
  private static final int STRIDE = 256;

  static java.util.List<String> backends() {
    return Pools.backends();
  }

  /** The byte segment {@code i} writes at position {@code k}: never zero, so an image holds it. */
  private static byte expected(int segment, int k) {
    return (byte) (segment * 7 + k * 13 | 1);
  }

  private static byte[] segmentBytes(int segment) {
    byte[] bytes = new byte[8];
    for (int k = 0; k < bytes.length; k++) {
      bytes[k] = expected(segment, k);
    }
    return bytes;
  }

  /** 20 pages, {@value #SEGMENTS} segments at constant offsets, and {@code load8_u(addr)}. */
  static WasmModule manySegments() {
    WasmBuilder b = new WasmBuilder().memory(PAGES, PAGES);
    int type = b.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    b.exportFunction("load8", b.function(type, new Code().localGet(0).i32Load8U(0)));
    for (int i = 0; i < SEGMENTS; i++) {
      b.activeData(i * STRIDE, segmentBytes(i));
    }
    return b.parse();
  }

  private static Engine engine(String backend, Consumer<dev.wasmpool.api.EngineConfig.Builder> engine) {
    return Pools.engine(
        backend, p -> p.totalMemories(2).maxMemorySize(PAGES * PAGE), e -> {
          e.memoryReservation(PAGES * PAGE);
          engine.accept(e);
        });
  }

  private static void assertContents(PooledInstance instance) {
    for (int i = 0; i < SEGMENTS; i += 97) {
      for (int k = 0; k < 8; k++) {
        int addr = i * STRIDE + k;
        assertEquals(
            expected(i, k) & 0xFF, instance.export("load8").apply(addr)[0], "byte " + addr);
      }
      assertEquals(0, instance.export("load8").apply(i * STRIDE + 8)[0], "gap after segment " + i);
    }
  }

  /** The same memory and function with one 8-byte segment. */
  static WasmModule oneSegment() {
    WasmBuilder b = new WasmBuilder().memory(PAGES, PAGES);
    int type = b.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    b.exportFunction("load8", b.function(type, new Code().localGet(0).i32Load8U(0)));
    b.activeData(0, segmentBytes(0));
    return b.parse();
  }

  /** Bytes this thread allocates per instantiate + close of {@code module}, after a warm-up. */
  private static long allocatedPerInstance(PooledWasmModule module) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    for (int i = 0; i < 3000; i++) {
      module.instantiate().close();
    }
    int rounds = 2000;
    long thread = Thread.currentThread().threadId();
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < rounds; i++) {
      module.instantiate().close();
    }
    return (threads.getThreadAllocatedBytes(thread) - before) / rounds;
  }

  /**
   * With the image in place, 4,000 segments cost no more than one: no offset is evaluated, no
   * segment looked at, and Chicory's builder copies no segment list (no instruction names a
   * segment, so the module instances are built from has none; see {@link InstantiableModule}).
   */
  @ParameterizedTest
  @MethodSource("backends")
  void manySegments_fromImage_allocatesLittlePerInstantiation(String backend) {
    Assumptions.assumeTrue(
        ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).isThreadAllocatedMemorySupported(),
        "thread allocation counting unsupported");
    try (Engine engine = engine(backend, e -> {});
        PooledWasmModule many = PooledWasmModule.load(engine, manySegments());
        PooledWasmModule one = PooledWasmModule.load(engine, oneSegment())) {
      assertTrue(many.pooledModule().hasImage(0), "the 4,000 segments are one image");
      try (PooledInstance instance = many.instantiate()) {
        assertContents(instance);
      }
      long oneBytes = allocatedPerInstance(one);
      long manyBytes = allocatedPerInstance(many);
      System.out.printf(
          "%s: per instantiate + close, 1 segment %,d bytes, %,d segments %,d bytes%n",
          backend, oneBytes, SEGMENTS, manyBytes);
      assertTrue(
          manyBytes - oneBytes <= 256,
          "4,000 segments allocate " + (manyBytes - oneBytes) + " bytes more than one segment");
      assertTrue(manyBytes < 16 * 1024, "allocated " + manyBytes + " bytes per instantiation");
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void manySegments_withoutImage_writesEverySegment(String backend) {
    try (Engine engine = engine(backend, e -> e.memoryInitCow(false));
        PooledWasmModule module = PooledWasmModule.load(engine, manySegments())) {
      assertTrue(!module.pooledModule().hasImage(0));
      for (int round = 0; round < 2; round++) {
        try (PooledInstance instance = module.instantiate()) {
          assertContents(instance);
        }
      }
    }
  }

  /** An offset read from an imported global is evaluated per instance; constant ones are not. */
  @ParameterizedTest
  @MethodSource("backends")
  void globalOffset_evaluatedPerInstance(String backend) {
    WasmBuilder b = new WasmBuilder().importGlobal("env", "base", WasmBuilder.I32, false).memory(1, 1);
    int type = b.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    b.exportFunction("load8", b.function(type, new Code().localGet(0).i32Load8U(0)));
    b.activeData(0, new Code().i32Const(0), new byte[] {5});
    b.activeData(0, new Code().globalGet(0), new byte[] {9});
    WasmModule wasm = b.parse();
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, wasm)) {
      for (int base : new int[] {100, 200, 100}) {
        ImportValues imports =
            ImportValues.builder()
                .addGlobal(new ImportGlobal("env", "base", new GlobalInstance(Value.i32(base))))
                .build();
        try (PooledInstance instance = module.instantiate(o -> o.withImportValues(imports))) {
          assertEquals(5, instance.export("load8").apply(0)[0]);
          assertEquals(9, instance.export("load8").apply(base)[0]);
          int other = base == 100 ? 200 : 100;
          assertEquals(0, instance.export("load8").apply(other)[0], "previous tenant's segment");
        }
      }
      ImportValues outside =
          ImportValues.builder()
              .addGlobal(new ImportGlobal("env", "base", new GlobalInstance(Value.i32((int) PAGE))))
              .build();
      assertThrows(UninstantiableException.class, () -> module.instantiate(o -> o.withImportValues(outside)));
    }
  }
  /**
   * Instances are built from the module without the segments after the last one an instruction
   * names: {@code memory.init} and {@code data.drop} still find theirs, and the plan still writes
   * the active segments left out, with or without an image.
   */
  @ParameterizedTest
  @MethodSource("backends")
  void segmentsAfterTheLastNamedOne_leftOutOfTheInstance_stillWritten(String backend) {
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    b.activeData(0, new byte[] {1}); // segment 0
    b.passiveData(new byte[] {7, 8}); // segment 1, the last one named
    b.activeData(16, new byte[] {3}); // segments 2 and 3: left out, written by the plan
    b.activeData(32, new byte[] {4});
    int unit = b.type(new int[0], new int[0]);
    b.exportFunction(
        "init", b.function(unit, new Code().i32Const(100).i32Const(0).i32Const(2).memoryInit(1).dataDrop(1)));
    int type = b.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    b.exportFunction("load8", b.function(type, new Code().localGet(0).i32Load8U(0)));
    WasmModule wasm = b.parse();
    for (boolean cow : new boolean[] {true, false}) {
      try (Engine engine = engine(backend, e -> e.memoryInitCow(cow));
          PooledWasmModule module = PooledWasmModule.load(engine, wasm)) {
        for (int round = 0; round < 2; round++) {
          try (PooledInstance instance = module.instantiate()) {
            assertEquals(2, instance.instance().module().dataSection().dataSegmentCount(), "segments 2, 3 left out");
            assertEquals(4, module.wasmModule().dataSection().dataSegmentCount(), "the loaded module is unchanged");
            assertEquals(1, instance.export("load8").apply(0)[0]);
            assertEquals(3, instance.export("load8").apply(16)[0]);
            assertEquals(4, instance.export("load8").apply(32)[0]);
            assertEquals(0, instance.export("load8").apply(100)[0], "round " + round + ", cow " + cow);
            instance.export("init").apply();
            assertEquals(7, instance.export("load8").apply(100)[0]);
            assertEquals(8, instance.export("load8").apply(101)[0]);
            // Dropped: a second memory.init of 2 bytes is out of bounds, as on Chicory's own memory.
            assertThrows(com.dylibso.chicory.runtime.WasmRuntimeException.class, () -> instance.export("init").apply());
          }
        }
      }
    }
  }
}
