package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveElement;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Preinitialized modules ({@link PooledWasmModule.Builder#preinitialize}): an instance of the
 * snapshot has the memories, globals, tables and segments of an instance freshly initialised by
 * Chicory itself (its own {@link ByteArrayMemory} and tables, the initialisation run again), on
 * each backend; what a snapshot cannot hold is refused with the slots given back.
 */
class PreinitializeTest {

  private static final int[] NONE = {};
  private static final int[] I32 = {WasmBuilder.I32};

  static List<String> backends() {
    return Pools.backends();
  }

  private static Engine engine(String backend, boolean copyOnWrite) {
    return Pools.engine(
        backend,
        p -> p.totalMemories(2).totalTables(2).maxTablesPerModule(2).tableElements(16).totalCoreInstances(4)
            .maxMemorySize(8 * PAGE),
        e -> e.memoryReservation(8 * PAGE).memoryInitCow(copyOnWrite));
  }

  // ---- the state compared -------------------------------------------------------------------

  /**
   * What an instance holds, as comparable text: each memory's size and bytes, each global's type
   * and bits, each table's size and elements, and which segments {@code memory.init} and {@code
   * table.init} can still read.
   */
  record State(List<String> memories, List<String> globals, List<String> tables, List<String> segments) {}

  static State state(WasmModule original, Instance instance) {
    List<String> memories = new ArrayList<>();
    int memoryCount =
        original.importSection().count(ExternalType.MEMORY)
            + original.memorySection().map(s -> s.memoryCount()).orElse(0);
    for (int m = 0; m < memoryCount; m++) {
      Memory memory = instance.memory(m);
      byte[] bytes = memory.readBytes(0, memory.pages() * Memory.PAGE_SIZE);
      memories.add("memory " + m + ": " + memory.pages() + " pages, " + hex(bytes));
    }
    List<String> globals = new ArrayList<>();
    for (int g = 0; g < original.globalSection().globalCount(); g++) {
      GlobalInstance global = instance.global(g);
      globals.add("global " + g + ": " + global.getType() + " " + global.getValueLow() + " " + global.getValueHigh());
    }
    List<String> tables = new ArrayList<>();
    for (int t = 0; t < original.tableSection().tableCount(); t++) {
      TableInstance table = instance.table(t);
      StringBuilder elements = new StringBuilder("table " + t + ": " + table.size() + " [");
      for (int e = 0; e < table.size(); e++) {
        elements.append(e == 0 ? "" : " ").append(table.ref(e));
      }
      tables.add(elements.append("]").toString());
    }
    List<String> segments = new ArrayList<>();
    // Segments no instruction names cannot be observed (pooled instances are built without them).
    int named = InstantiableModule.of(original).dataSection().dataSegmentCount();
    for (int d = 0; d < named; d++) {
      segments.add("data " + d + ": " + hex(instance.dataSegmentData(d)));
    }
    for (int e = 0; e < original.elementSection().elementCount(); e++) {
      // table.init reads a passive segment only; an active, declarative or dropped one is empty to it.
      segments.add(
          "elem " + e + ": "
              + (instance.element(e) instanceof PassiveElement p ? "passive " + p.initializers() : "unreadable"));
    }
    return new State(memories, globals, tables, segments);
  }

  /** The bytes up to the last non-zero one, in hex: memories compare whole without megabytes of text. */
  private static String hex(byte[] bytes) {
    int end = bytes.length;
    while (end > 0 && bytes[end - 1] == 0) {
      end--;
    }
    StringBuilder sb = new StringBuilder(bytes.length + " bytes ");
    for (int i = 0; i < end; i++) {
      sb.append(Character.forDigit((bytes[i] >> 4) & 0xf, 16)).append(Character.forDigit(bytes[i] & 0xf, 16));
    }
    return sb.toString();
  }

  /** An instance made by Chicory alone (its memories, its tables), then initialised. */
  static Instance freshlyInitialized(WasmModule module, ImportValues imports, Consumer<Instance> init) {
    Instance instance =
        Instance.builder(module)
            .withImportValues(imports)
            .withMemoryFactory(ByteArrayMemory::new)
            .withStart(false)
            .build();
    init.accept(instance);
    return instance;
  }

  /**
   * Preinitializes a module, then checks that two instances in a row (the second on the first's
   * slot) hold what a freshly initialised instance holds. The reference gets its own parse of the
   * module: Chicory 1.7.5's own tables grow the module's declared limits when they grow.
   */
  private static void assertSnapshotMatches(
      String backend, boolean copyOnWrite, Supplier<WasmModule> modules, Consumer<Instance> init) {
    WasmModule reference = modules.get();
    State expected = state(reference, freshlyInitialized(reference, ImportValues.empty(), init));
    WasmModule module = modules.get();
    try (Engine engine = engine(backend, copyOnWrite);
        PooledWasmModule snapshot = PooledWasmModule.builder(engine, module).preinitialize(init).build()) {
      assertTrue(snapshot.isPreinitialized());
      assertEquals(0, engine.metrics().coreInstances(), "the template went back to the pool");
      for (int round = 0; round < 2; round++) {
        try (PooledInstance instance = snapshot.instantiate()) {
          assertEquals(expected, state(module, instance.instance()), "instance " + round);
          scribble(instance.instance());
        }
      }
    }
  }

  /** Changes an instance's memory and mutable state, which the next instance must not see. */
  private static void scribble(Instance instance) {
    Memory memory = instance.memory();
    if (memory != null) {
      memory.fill((byte) 0x5a, 0, memory.pages() * Memory.PAGE_SIZE);
    }
  }

  // ---- modules --------------------------------------------------------------------------------

  /**
   * A global of every type Chicory has constants for, mutable and not; {@code init} sets the
   * numbers and the function reference, the test sets the vector from Java.
   */
  private static WasmModule everyGlobalType() {
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    int seven = b.function(b.type(NONE, I32), new Code().i32Const(7));
    b.global(WasmBuilder.I32, true, new Code().i32Const(1)) // 0
        .global(WasmBuilder.I64, true, new Code().i64Const(2)) // 1
        .global(WasmBuilder.F32, true, new Code().f32Const(3.0f)) // 2
        .global(WasmBuilder.F64, true, new Code().f64Const(4.0)) // 3
        .global(WasmBuilder.V128, true, new Code().v128Const(5, 6)) // 4
        .global(WasmBuilder.FUNCREF, true, new Code().refNull(WasmBuilder.FUNCREF)) // 5
        .global(WasmBuilder.EXTERNREF, true, new Code().refNull(WasmBuilder.EXTERNREF)) // 6
        .global(WasmBuilder.I32, false, new Code().i32Const(8)) // 7
        .global(WasmBuilder.FUNCREF, false, new Code().refFunc(seven)) // 8
        .global(WasmBuilder.V128, false, new Code().v128Const(9, 10)) // 9
        .global(WasmBuilder.FUNCREF, true, new Code().refFunc(seven)); // 10: set to null by init
    b.declaredElements(seven);
    Code init =
        new Code()
            .i32Const(42).globalSet(0)
            .i64Const(-5).globalSet(1)
            .f32Const(1.5f).globalSet(2)
            .f64Const(-2.25).globalSet(3)
            .refFunc(seven).globalSet(5)
            .refNull(WasmBuilder.FUNCREF).globalSet(10)
            .i32Const(0).i32Const(0x0badcafe).i32Store(0);
    b.exportFunction("init", b.function(b.type(NONE, NONE), init));
    return b.parse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void globalsOfEveryType_matchAFreshlyInitializedInstance(String backend) {
    Consumer<Instance> init =
        instance -> {
          instance.export("init").apply();
          GlobalInstance vector = instance.global(4);
          vector.setValueLow(0x0123456789abcdefL);
          vector.setValueHigh(0xfedcba9876543210L);
        };
    WasmModule module = everyGlobalType();
    assertSnapshotMatches(backend, true, PreinitializeTest::everyGlobalType, init);
    State state = state(module, freshlyInitialized(module, ImportValues.empty(), init));
    assertEquals("global 0: I32 42 0", state.globals().get(0), "the initialisation ran in the reference");
    assertEquals("global 4: V128 81985529216486895 -81985529216486896", state.globals().get(4));
  }

  /**
   * A funcref table of 2 (at most 10) that {@code init} grows to 5 and sets, with {@code call(i)}
   * calling element i.
   */
  private static WasmModule funcrefTable() {
    WasmBuilder b = new WasmBuilder().table(2, 10);
    int answer = b.type(NONE, I32);
    int f10 = b.function(answer, new Code().i32Const(10));
    int f11 = b.function(answer, new Code().i32Const(11));
    int f12 = b.function(answer, new Code().i32Const(12));
    b.activeElements(0, f10, f11).declaredElements(f12);
    Code init =
        new Code()
            .refFunc(f12).i32Const(3).tableGrow(0).drop()
            .i32Const(0).refNull(WasmBuilder.FUNCREF).tableSet(0)
            .i32Const(3).refFunc(f10).tableSet(0);
    b.exportFunction("init", b.function(b.type(NONE, NONE), init));
    b.exportFunction("call", b.function(b.type(I32, I32), new Code().localGet(0).callIndirect(answer, 0)));
    return b.parse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void funcrefTable_grownAndSetDuringInit_matchesAFreshlyInitializedInstance(String backend) {
    WasmModule module = funcrefTable();
    Consumer<Instance> init = instance -> instance.export("init").apply();
    assertSnapshotMatches(backend, true, PreinitializeTest::funcrefTable, init);
    try (Engine engine = engine(backend, true);
        PooledWasmModule snapshot = PooledWasmModule.builder(engine, module).preinitialize(init).build();
        PooledInstance instance = snapshot.instantiate()) {
      assertEquals(5, snapshot.pooledModule().descriptor().tables().get(0).minimumElements());
      assertThrows(ChicoryException.class, () -> instance.export("call").apply(0), "element 0 was set to null");
      assertEquals(11, instance.export("call").apply(1)[0]);
      assertEquals(12, instance.export("call").apply(2)[0]);
      assertEquals(10, instance.export("call").apply(3)[0]);
      assertEquals(12, instance.export("call").apply(4)[0]);
    }
  }

  /**
   * Passive data "abc" and "xyz", active data "hi"; passive elements [f0] and [f1], an active one;
   * {@code init} drops data 0 and element 1 and copies from the others. Probes {@code d0}, {@code
   * d1}, {@code d2} run {@code memory.init} of one byte, {@code e0}, {@code e1}, {@code e2} {@code
   * table.init} of one element, {@code d0z} and {@code e1z} a zero-length one at offset 1.
   */
  private static WasmModule droppedSegments() {
    WasmBuilder b = new WasmBuilder().memory(1, 1).table(4, 4);
    int answer = b.type(NONE, I32);
    int f0 = b.function(answer, new Code().i32Const(20));
    int f1 = b.function(answer, new Code().i32Const(21));
    b.passiveData("abc".getBytes(StandardCharsets.US_ASCII))
        .passiveData("xyz".getBytes(StandardCharsets.US_ASCII))
        .activeData(0, "hi".getBytes(StandardCharsets.US_ASCII));
    b.passiveElements(f0).passiveElements(f1).activeElements(0, f1);
    int probe = b.type(NONE, NONE);
    Code init =
        new Code()
            .dataDrop(0)
            .elemDrop(1)
            .i32Const(100).i32Const(0).i32Const(3).memoryInit(1)
            .i32Const(1).i32Const(0).i32Const(1).tableInit(0, 0);
    b.exportFunction("init", b.function(probe, init));
    for (int d = 0; d < 3; d++) {
      b.exportFunction("d" + d, b.function(probe, new Code().i32Const(200).i32Const(0).i32Const(1).memoryInit(d)));
    }
    for (int e = 0; e < 3; e++) {
      b.exportFunction("e" + e, b.function(probe, new Code().i32Const(2).i32Const(0).i32Const(1).tableInit(e, 0)));
    }
    b.exportFunction("d0z", b.function(probe, new Code().i32Const(200).i32Const(1).i32Const(0).memoryInit(0)));
    b.exportFunction("e1z", b.function(probe, new Code().i32Const(2).i32Const(1).i32Const(0).tableInit(1, 0)));
    return b.parse();
  }

  private static final List<String> PROBES = List.of("d0", "d1", "d2", "e0", "e1", "e2", "d0z", "e1z");

  private static String outcome(Instance instance, String probe) {
    try {
      instance.export(probe).apply();
      return "ok";
    } catch (ChicoryException e) {
      // Where an out-of-bounds access is reported differs between memories; that it is, does not.
      String message = String.valueOf(e.getMessage());
      int detail = message.indexOf("out of bounds memory access");
      return e.getClass().getSimpleName() + ": " + (detail < 0 ? message : message.substring(detail));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void passiveSegmentsDroppedDuringInit_matchAFreshlyInitializedInstance(String backend) {
    WasmModule module = droppedSegments();
    Consumer<Instance> init = instance -> instance.export("init").apply();
    assertSnapshotMatches(backend, true, PreinitializeTest::droppedSegments, init);
    List<String> expected = new ArrayList<>();
    for (String probe : PROBES) {
      Instance fresh = freshlyInitialized(module, ImportValues.empty(), init);
      expected.add(probe + " " + outcome(fresh, probe) + " " + state(module, fresh));
    }
    assertTrue(expected.get(0).startsWith("d0 WasmRuntimeException"), "data 0 was dropped: " + expected.get(0));
    assertTrue(expected.get(1).startsWith("d1 ok"), expected.get(1));
    try (Engine engine = engine(backend, true);
        PooledWasmModule snapshot = PooledWasmModule.builder(engine, module).preinitialize(init).build()) {
      List<String> actual = new ArrayList<>();
      for (String probe : PROBES) {
        try (PooledInstance instance = snapshot.instantiate()) {
          actual.add(probe + " " + outcome(instance.instance(), probe) + " " + state(module, instance.instance()));
        }
      }
      assertEquals(expected, actual);
    }
  }

  /** One page (at most 8) holding 1, 2, 3; {@code init} grows it by 3 and writes in the last page. */
  private static WasmModule growingMemory() {
    WasmBuilder b = new WasmBuilder().memory(1, 8);
    b.activeData(0, new byte[] {1, 2, 3});
    Code init =
        new Code()
            .i32Const(3).memoryGrow().drop()
            .i32Const(3 * 65536 + 10).i32Const(0x01020304).i32Store(0)
            .i32Const(1).i32Const(9).i32Store8(0);
    b.exportFunction("init", b.function(b.type(NONE, NONE), init));
    return b.parse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memoryGrownDuringInit_isTheSnapshotsInitialSize_withAndWithoutImages(String backend) {
    WasmModule module = growingMemory();
    Consumer<Instance> init = instance -> instance.export("init").apply();
    for (boolean copyOnWrite : new boolean[] {true, false}) {
      assertSnapshotMatches(backend, copyOnWrite, PreinitializeTest::growingMemory, init);
      try (Engine engine = engine(backend, copyOnWrite);
          PooledWasmModule snapshot = PooledWasmModule.builder(engine, module).preinitialize(init).build();
          PooledInstance instance = snapshot.instantiate()) {
        assertEquals(4, snapshot.pooledModule().descriptor().memories().get(0).minimumPages());
        assertEquals(copyOnWrite, snapshot.pooledModule().hasImage(0), "the snapshot is the memory's image");
        assertEquals(4, instance.memory().pages());
        assertEquals(0x01020304, instance.memory().readInt(3 * 65536 + 10));
        assertEquals(4, instance.memory().grow(4));
        assertEquals(-1, instance.memory().grow(1), "the declared maximum of 8 pages stays");
      }
    }
  }

  /** A start function that calls {@code env.tick}, counts in global 0 and stores the count at 16. */
  private static WasmModule countingStart() {
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    int tick = b.importFunction("env", "tick", b.type(NONE, NONE));
    b.global(WasmBuilder.I32, true, new Code().i32Const(0));
    Code start =
        new Code().call(tick).globalGet(0).i32Const(1).i32Add().globalSet(0).i32Const(16).globalGet(0).i32Store(0);
    b.start(b.function(b.type(NONE, NONE), start));
    return b.parse();
  }

  private static ImportValues ticks(AtomicInteger count) {
    return ImportValues.builder()
        .addFunction(new HostFunction("env", "tick", FunctionType.of(List.of(), List.of()), (instance, args) -> {
          count.incrementAndGet();
          return null;
        }))
        .build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void startFunction_runsOnceForTheSnapshot_notPerInstance(String backend) {
    WasmModule module = countingStart();
    AtomicInteger reference = new AtomicInteger();
    State expected = state(module, freshlyInitialized(module, ticks(reference), i -> {}));
    assertEquals(1, reference.get());
    AtomicInteger template = new AtomicInteger();
    AtomicInteger later = new AtomicInteger();
    try (Engine engine = engine(backend, true);
        PooledWasmModule snapshot = PooledWasmModule.builder(engine, module).preinitialize(ticks(template), i -> {}).build()) {
      assertEquals(1, template.get(), "the template ran the start function");
      assertFalse(snapshot.wasmModule().startSection().isPresent());
      for (int round = 0; round < 3; round++) {
        try (PooledInstance instance = snapshot.instantiate(ticks(later), null)) {
          assertEquals(expected, state(module, instance.instance()));
          instance.instance().global(0).setValue(99);
        }
      }
      assertEquals(0, later.get(), "no instance of the snapshot runs the start function");
    }
  }

  /** Imports its memory (1 to 4 pages) with "abc" at 0; {@code init} grows it and writes page 1. */
  private static WasmModule importingMemory() {
    WasmBuilder b = new WasmBuilder().importMemory("env", "memory", 1, 4);
    b.activeData(0, "abc".getBytes(StandardCharsets.US_ASCII));
    Code init = new Code().i32Const(1).memoryGrow().drop().i32Const(65536 + 5).i32Const(77).i32Store(0);
    b.exportFunction("init", b.function(b.type(NONE, NONE), init));
    return b.parse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void importedMemory_isCapturedAsTheImportsData(String backend) {
    WasmModule module = importingMemory();
    Consumer<Instance> init = instance -> instance.export("init").apply();
    ImportValues chicorys =
        ImportValues.builder()
            .addMemory(new ImportMemory("env", "memory", new ByteArrayMemory(new MemoryLimits(1, 4))))
            .build();
    State expected = state(module, freshlyInitialized(module, chicorys, init));
    try (Engine engine = engine(backend, true);
        PooledWasmModule snapshot = PooledWasmModule.builder(engine, module).preinitialize(init).build()) {
      assertEquals(0, engine.metrics().memories(), "the template's imported memory went back");
      for (int round = 0; round < 2; round++) {
        try (ImportedMemory memory = snapshot.importedMemory(0);
            PooledInstance instance =
                snapshot.instantiate(ImportValues.builder().addMemory(memory.importMemory()).build(), null)) {
          assertEquals(2, memory.memory().pages(), "the import's initial size is the grown one");
          assertEquals(expected, state(module, instance.instance()));
          scribble(instance.instance());
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void compiledModule_snapshotRunsTheSameCompiledCode(String backend) {
    WasmModule reference = funcrefTable();
    Consumer<Instance> init = instance -> instance.export("init").apply();
    State expected = state(reference, freshlyInitialized(reference, ImportValues.empty(), init));
    WasmModule module = funcrefTable();
    try (Engine engine = engine(backend, true);
        PooledWasmModule snapshot =
            PooledWasmModule.builder(engine, module).withCompiler().preinitialize(init).build();
        PooledInstance instance = snapshot.instantiate()) {
      assertEquals(expected, state(module, instance.instance()));
      assertEquals(10, instance.export("call").apply(3)[0]);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void machineCompiledForTheLoadedModule_servesTheSnapshot(String backend) {
    WasmModule module = funcrefTable();
    Consumer<Instance> init = instance -> instance.export("init").apply();
    try (Engine engine = engine(backend, true);
        PooledWasmModule snapshot =
            PooledWasmModule.builder(engine, module)
                .withMachineFactory(com.dylibso.chicory.compiler.MachineFactoryCompiler.compile(module))
                .preinitialize(init)
                .build();
        PooledInstance instance = snapshot.instantiate()) {
      assertTrue(instance.instance().module() != module, "the instance is of the snapshot");
      assertEquals(12, instance.export("call").apply(4)[0]);
      // Bound to the loaded module and given per instance, it names the remedy.
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> snapshot.instantiate(
                  b -> b.withMachineFactory(com.dylibso.chicory.compiler.MachineFactoryCompiler.compile(module))));
      assertTrue(e.getMessage().contains("the instances of a preinitialized module are of its snapshot"), e.getMessage());
      assertEquals(1, engine.metrics().coreInstances(), "the failed instantiation gave its slots back");
    }
  }

  // ---- refusals -------------------------------------------------------------------------------

  /** Nothing is left taken after a refusal, and the engine still instantiates. */
  private static void assertNothingTaken(Engine engine) {
    assertEquals(0, engine.metrics().coreInstances());
    assertEquals(0, engine.metrics().memories());
    assertEquals(0, engine.metrics().tables());
    WasmModule plain = new WasmBuilder().memory(1, 1).table(1, 1).parse();
    try (PooledWasmModule loaded = PooledWasmModule.load(engine, plain);
        PooledInstance instance = loaded.instantiate()) {
      assertEquals(1, instance.memory().pages());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void importedGlobalsAndTables_areRefused_namingTheImport(String backend) {
    WasmModule global = new WasmBuilder().importGlobal("env", "g", WasmBuilder.I32, false).parse();
    WasmModule table = new WasmBuilder().importTable("env", "t", 1, 1).parse();
    try (Engine engine = engine(backend, true)) {
      ModuleValidationException e =
          assertThrows(
              ModuleValidationException.class,
              () -> PooledWasmModule.builder(engine, global).preinitialize(i -> {}).build());
      assertEquals(
          "module module cannot be preinitialized: it imports global env.g, whose contents belong to the"
              + " host and may differ per instance, so a snapshot cannot hold them",
          e.getMessage());
      e = assertThrows(
          ModuleValidationException.class,
          () -> PooledWasmModule.builder(engine, table).withName("t").preinitialize(i -> {}).build());
      assertTrue(e.getMessage().startsWith("module t cannot be preinitialized: it imports table env.t,"), e.getMessage());
      assertNothingTaken(engine);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void importsProvidingTheImportedMemory_areRefused(String backend) {
    WasmModule module = importingMemory();
    ImportValues own =
        ImportValues.builder()
            .addMemory(new ImportMemory("env", "memory", new ByteArrayMemory(new MemoryLimits(1, 4))))
            .build();
    try (Engine engine = engine(backend, true)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> PooledWasmModule.builder(engine, module).preinitialize(own, i -> {}).build());
      assertTrue(e.getMessage().contains("the imports must not provide memory env.memory"), e.getMessage());
      assertEquals(0, engine.metrics().memories());
      assertEquals(0, engine.metrics().coreInstances());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void hostReferences_andForeignFunctions_areRefused(String backend) {
    WasmModule externGlobal =
        new WasmBuilder().global(WasmBuilder.EXTERNREF, true, new Code().refNull(WasmBuilder.EXTERNREF)).parse();
    WasmBuilder tables = new WasmBuilder().table(1, 1).table(WasmBuilder.EXTERNREF, 1, 1);
    tables.function(tables.type(NONE, NONE), new Code());
    WasmModule twoTables = tables.parse();
    Instance stranger = Instance.builder(twoTables).build();
    try (Engine engine = engine(backend, true)) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> PooledWasmModule.builder(engine, externGlobal)
                  .preinitialize(i -> i.global(0).setValue(5))
                  .build());
      assertEquals(
          "module module cannot be preinitialized: after initialisation global 0, of type (ref null extern),"
              + " holds a reference that is not to one of the module's functions (a host or GC reference),"
              + " which a snapshot cannot hold",
          e.getMessage());
      assertNothingTaken(engine);

      e = assertThrows(
          IllegalStateException.class,
          () -> PooledWasmModule.builder(engine, twoTables)
              .preinitialize(i -> i.table(0).setRef(0, 0, stranger))
              .build());
      assertTrue(e.getMessage().contains("element 0 of table 0, of type (ref null func), holds a function of another instance"),
          e.getMessage());
      e = assertThrows(
          IllegalStateException.class,
          () -> PooledWasmModule.builder(engine, twoTables)
              .preinitialize(i -> i.table(1).setRef(0, 3, i))
              .build());
      assertTrue(e.getMessage().contains("element 0 of table 1, of type (ref null extern), holds a host or GC reference"),
          e.getMessage());
      assertNothingTaken(engine);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void trapDuringInit_failsTheBuild_slotsGivenBack(String backend) {
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    b.exportFunction("init", b.function(b.type(NONE, NONE), new Code().unreachable()));
    WasmModule module = b.parse();
    try (Engine engine = engine(backend, true)) {
      assertThrows(
          ChicoryException.class,
          () -> PooledWasmModule.builder(engine, module).preinitialize(i -> i.export("init").apply()).build());
      assertNothingTaken(engine);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void initialValues_nullReferencesIncluded_areCaptured(String backend) {
    // The initialisation changes nothing: every global keeps its initialiser's value, nulls included.
    assertSnapshotMatches(backend, true, PreinitializeTest::everyGlobalType, i -> {});
  }
}
