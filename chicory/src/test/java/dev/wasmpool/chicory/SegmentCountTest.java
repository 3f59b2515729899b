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

  /** The size of an object reference in an array: 4 with compressed pointers, else 8. */
  private static int referenceBytes() {
    com.sun.management.HotSpotDiagnosticMXBean hotspot =
        ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
    return Boolean.parseBoolean(hotspot.getVMOption("UseCompressedOops").getValue()) ? 4 : 8;
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
   * segment looked at. The one per-segment cost left is Chicory's own: {@code Instance.Builder.build()}
   * copies the module's segment list into a new array for every instance (4 bytes a reference with
   * compressed pointers, 8 without), which wasmpool cannot avoid; beyond that array an instantiation
   * allocates under 16 KiB.
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
      // Chicory's array of the instance's segments: a header and one reference per segment.
      long chicoryArray = 16 + (long) SEGMENTS * referenceBytes();
      System.out.printf(
          "%s: per instantiate + close, 1 segment %,d bytes, %,d segments %,d bytes%n",
          backend, oneBytes, SEGMENTS, manyBytes);
      assertTrue(
          manyBytes - oneBytes <= chicoryArray + 256,
          "4,000 segments allocate " + (manyBytes - oneBytes) + " bytes more than one segment");
      assertTrue(
          manyBytes - chicoryArray < 16 * 1024,
          "allocated " + manyBytes + " bytes per instantiation, " + chicoryArray + " of them Chicory's array");
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
}
