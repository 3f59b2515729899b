package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportGlobal;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.ModuleValidationException;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The binding's own behaviour: machines, imports, WASI, tables, lifetimes, purging. */
class PooledWasmModuleTest {

  private static final int[] NONE = {};
  private static final int[] I32 = {WasmBuilder.I32};
  private static final int[] I32_I32 = {WasmBuilder.I32, WasmBuilder.I32};

  static List<String> backends() {
    return Pools.backends();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * {@code add(a, b)}, {@code sum(n)} (sum of the first n i32 in memory, with a loop) and {@code
   * store(addr, v)}, over a one-page memory holding 1, 2, 3, 4 at address 0.
   */
  private static WasmModule arithmetic() {
    WasmBuilder b = new WasmBuilder().memory(1, -1).exportMemory("memory", 0);
    b.activeData(0, new byte[] {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0});
    int binary = b.type(I32_I32, I32);
    b.exportFunction("add", b.function(binary, new Code().localGet(0).localGet(1).op(0x6a)));
    int store = b.type(I32_I32, NONE);
    b.exportFunction("store", b.function(store, new Code().localGet(0).localGet(1).i32Store(0)));
    // sum(n): local 1 = acc, local 2 = i; loop { if i == n break; acc += load(i*4); i++ }
    Code sum =
        new Code()
            .local(WasmBuilder.I32)
            .local(WasmBuilder.I32)
            .op(0x02, 0x40) // block
            .op(0x03, 0x40) // loop
            .localGet(2).localGet(0).op(0x46) // i32.eq
            .op(0x0d, 0x01) // br_if 1
            .localGet(1).localGet(2).i32Const(4).op(0x6c).i32Load(0).op(0x6a).op(0x21, 0x01) // acc
            .localGet(2).i32Const(1).op(0x6a).op(0x21, 0x02) // i++
            .op(0x0c, 0x00) // br 0
            .op(0x0b) // end loop
            .op(0x0b) // end block
            .localGet(1);
    b.exportFunction("sum", b.function(b.type(I32, I32), sum));
    return b.parse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void interpreter_and_compiler_runTheSameModule(String backend) {
    WasmModule module = arithmetic();
    try (Engine engine = Pools.engine(backend, p -> p.totalMemories(4));
        PooledWasmModule interpreted = PooledWasmModule.load(engine, module);
        PooledWasmModule compiled =
            PooledWasmModule.builder(engine, module).withName("compiled").withCompiler().build()) {
      assertEquals("compiled", compiled.name());
      for (PooledWasmModule pooled : List.of(interpreted, compiled)) {
        for (int round = 0; round < 3; round++) {
          try (PooledInstance instance = pooled.instantiate()) {
            assertEquals(5, instance.export("add").apply(2, 3)[0]);
            assertEquals(10, instance.export("sum").apply(4)[0], pooled.name() + " round " + round);
            instance.export("store").apply(0, 100);
            assertEquals(109, instance.export("sum").apply(4)[0]);
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void hostFunctions_importedGlobals_andImportedMemories(String backend) {
    // Imports env.log(i32), env.base (i32 global), env.shared (memory 1); exports run() which
    // logs base + the i32 at address 0 of the imported memory, and a pooled memory of its own.
    WasmBuilder b = new WasmBuilder();
    int log = b.importFunction("env", "log", b.type(I32, NONE));
    b.importMemory("env", "shared", 1, -1);
    b.importGlobal("env", "base", WasmBuilder.I32, false);
    int run =
        b.function(
            b.type(NONE, NONE),
            new Code().globalGet(0).i32Const(0).i32Load(0).op(0x6a).call(log));
    WasmModule module = b.exportFunction("run", run).parse();
    Memory shared = new ByteArrayMemory(new MemoryLimits(1, 1));
    shared.writeI32(0, 40);
    AtomicReference<Long> logged = new AtomicReference<>();
    ImportValues imports =
        ImportValues.builder()
            .addFunction(
                new HostFunction(
                    "env",
                    "log",
                    FunctionType.of(List.of(ValType.I32), List.of()),
                    (instance, args) -> {
                      logged.set(args[0]);
                      return null;
                    }))
            .addMemory(new ImportMemory("env", "shared", shared))
            .addGlobal(new ImportGlobal("env", "base", new GlobalInstance(Value.i32(2))))
            .build();
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, module);
        PooledInstance instance = pooled.instantiate(o -> o.withImportValues(imports))) {
      instance.export("run").apply();
      assertEquals(42L, logged.get());
      assertEquals(0, engine.metrics().memories(), "an imported memory takes no slot");
    }

    // A pooled memory exported by one instance and imported by another.
    WasmModule exporter = new WasmBuilder().memory(1, -1).exportMemory("m", 0).activeData(8, ascii("shared")).parse();
    WasmBuilder ib = new WasmBuilder();
    ib.importMemory("a", "m", 1, -1);
    int read = ib.function(ib.type(I32, I32), new Code().localGet(0).i32Load8U(0));
    WasmModule importer = ib.exportFunction("read", read).activeData(0, ascii("Z")).parse();
    try (Engine engine = Pools.engine(backend, p -> p.totalMemories(2));
        PooledWasmModule a = PooledWasmModule.load(engine, exporter);
        PooledWasmModule c = PooledWasmModule.load(engine, importer);
        PooledInstance first = a.instantiate()) {
      ImportValues fromFirst =
          ImportValues.builder()
              .addMemory(new ImportMemory("a", "m", first.instance().exports().memory("m")))
              .build();
      try (PooledInstance second = c.instantiate(o -> o.withImportValues(fromFirst))) {
        assertEquals('s', second.export("read").apply(8)[0]);
        assertEquals('Z', first.memory().read(0), "the importer's data went into the exporter's memory");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void wasiProgram_writesToStdout(String backend) {
    // _start: fd_write(1, iovs=16, 1, nwritten=24) for "hello, pool\n" at 32.
    WasmBuilder b = new WasmBuilder();
    int fdWrite =
        b.importFunction(
            "wasi_snapshot_preview1",
            "fd_write",
            b.type(new int[] {WasmBuilder.I32, WasmBuilder.I32, WasmBuilder.I32, WasmBuilder.I32}, I32));
    b.memory(1, -1).exportMemory("memory", 0);
    byte[] text = ascii("hello, pool\n");
    b.activeData(32, text);
    b.activeData(16, new byte[] {32, 0, 0, 0, (byte) text.length, 0, 0, 0});
    int start =
        b.function(
            b.type(NONE, NONE),
            new Code().i32Const(1).i32Const(16).i32Const(1).i32Const(24).call(fdWrite).drop());
    WasmModule module = b.exportFunction("_start", start).parse();
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      for (int round = 0; round < 2; round++) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        try (WasiPreview1 wasi =
                WasiPreview1.builder()
                    .withOptions(WasiOptions.builder().withStdout(stdout).build())
                    .build();
            PooledInstance instance =
                pooled.instantiate(
                    o ->
                        o.withImportValues(
                            ImportValues.builder().addFunction(wasi.toHostFunctions()).build()))) {
          assertEquals("hello, pool\n", stdout.toString(StandardCharsets.US_ASCII));
          assertEquals(text.length, instance.memory().readInt(24));
        }
      }
    }
  }

  /** Chicory 1.7.5's TableInstance.grow changes the module's shared limits; pooled tables don't. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void tableGrowth_doesNotLeakIntoTheNextInstance(String backend) {
    WasmBuilder b = new WasmBuilder().table(1, 8).exportTable("t", 0);
    int grow =
        b.function(
            b.type(I32, I32), new Code().refNull(WasmBuilder.FUNCREF).localGet(0).tableGrow(0));
    WasmModule module = b.exportFunction("grow", grow).parse();
    try (Engine engine = Pools.engine(backend, p -> p.totalTables(2).totalCoreInstances(2));
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      try (PooledInstance first = pooled.instantiate()) {
        assertEquals(1, first.export("grow").apply(5)[0]);
        assertEquals(6, first.instance().table(0).size());
        try (PooledInstance second = pooled.instantiate()) {
          assertEquals(1, second.instance().table(0).size(), "starts at the declared minimum");
          assertEquals(1, second.instance().table(0).limits().min());
          assertEquals(-1, (int) second.export("grow").apply(8)[0], "declared maximum still 8");
          assertEquals(1, second.export("grow").apply(7)[0]);
        }
      }
      assertEquals(1, module.tableSection().getTable(0).limits().min(), "the module is untouched");
      try (PooledInstance third = pooled.instantiate()) {
        assertEquals(1, third.instance().table(0).size());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void tables_callIndirectAcrossInstances(String backend) {
    // Module A exports a table filled with its function "answer" (returns 42).
    WasmBuilder a = new WasmBuilder().table(2, -1).exportTable("t", 0);
    int answer = a.function(a.type(NONE, I32), new Code().i32Const(42));
    a.activeElements(0, answer);
    // Module B has its own table; call(i) does call_indirect through it; B copies A's element in.
    WasmBuilder b = new WasmBuilder().table(2, -1).exportTable("t", 0);
    int type = b.type(NONE, I32);
    int call = b.function(b.type(I32, I32), new Code().localGet(0).callIndirect(type, 0));
    b.exportFunction("call", call);
    try (Engine engine = Pools.engine(backend, p -> p.totalTables(2).totalMemories(2));
        PooledWasmModule pa = PooledWasmModule.load(engine, a.parse());
        PooledWasmModule pb = PooledWasmModule.load(engine, b.parse());
        PooledInstance ia = pa.instantiate();
        PooledInstance ib = pb.instantiate()) {
      TableInstance ta = ia.instance().exports().table("t");
      TableInstance tb = ib.instance().exports().table("t");
      tb.setRef(1, ta.ref(0), ia.instance());
      assertEquals(42, ib.export("call").apply(1)[0]);
      assertEquals(ia.instance(), tb.instance(1));
      ChicoryException e = assertThrows(ChicoryException.class, () -> ib.export("call").apply(0));
      assertTrue(e.getMessage().contains("uninitialized element"), e.getMessage());
    }
  }

  /**
   * A thread still holding a closed instance's {@link Memory} cannot read what the slot's next
   * tenant writes: every access throws {@link IllegalStateException}.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void staleMemoryHandle_cannotReachTheNextTenant(String backend)
      throws ExecutionException, InterruptedException {
    WasmModule module = new WasmBuilder().memory(1, -1).exportMemory("m", 0).parse();
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      PooledInstance first = pooled.instantiate();
      Memory stale = first.memory();
      first.close();
      assertTrue(first.isClosed());
      try (PooledInstance next = pooled.instantiate()) {
        assertEquals(1, engine.metrics().memories(), "one slot in the pool: the same slot");
        next.memory().writeString(0, "SECRET");
        CompletableFuture<Throwable> read =
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    return new AssertionError("read " + stale.readString(0, 6));
                  } catch (RuntimeException e) {
                    return e;
                  }
                });
        Throwable failure = read.get();
        assertInstanceOf(IllegalStateException.class, failure, String.valueOf(failure));
        assertFalse(failure instanceof ChicoryException, "not a Wasm trap");
        assertThrows(IllegalStateException.class, () -> stale.writeI32(0, 1));
        assertThrows(IllegalStateException.class, () -> stale.grow(1));
        assertEquals("SECRET", next.memory().readString(0, 6), "the next tenant's bytes are intact");
      }
      first.close(); // idempotent
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void staleTableHandle_throws(String backend) {
    WasmModule module = new WasmBuilder().table(4, -1).exportTable("t", 0).parse();
    try (Engine engine = Pools.engine(backend);
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      PooledInstance instance = pooled.instantiate();
      TableInstance table = instance.instance().exports().table("t");
      instance.close();
      assertThrows(IllegalStateException.class, () -> table.ref(0));
      assertThrows(IllegalStateException.class, () -> table.setRef(0, 0, null));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void tableLimits_perModuleAndTotal(String backend) {
    try (Engine engine = Pools.engine(backend, p -> p.totalTables(2).totalCoreInstances(4))) {
      ModuleValidationException perModule =
          assertThrows(
              ModuleValidationException.class,
              () -> PooledWasmModule.load(engine, new WasmBuilder().table(1, -1).table(1, -1).parse()));
      assertTrue(
          perModule.getMessage().contains("defined tables count of 2 exceeds the per-instance limit of 1"),
          perModule.getMessage());
      try (PooledWasmModule pooled = PooledWasmModule.load(engine, new WasmBuilder().table(3, -1).parse())) {
        PooledInstance one = pooled.instantiate();
        PooledInstance two = pooled.instantiate();
        PoolExhaustedException e = assertThrows(PoolExhaustedException.class, pooled::instantiate);
        assertEquals("maximum concurrent limit of 2 for tables reached", e.getMessage());
        assertEquals(2, engine.metrics().coreInstances(), "the failed attempt returned its instance slot");
        one.close();
        try (PooledInstance three = pooled.instantiate()) {
          assertEquals(3, three.instance().table(0).size());
        }
        two.close();
      }
    }
  }

  // ---- closing a module purges its affine slots (Linux: memfd images) ----------------------

  private static final String IMAGE = "memfd:wasm-memory-image";

  /** Inodes of the memory-image memfds mapped into this process. */
  private static Set<String> mappedImages() throws IOException {
    Set<String> inodes = new HashSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
      if (line.contains(IMAGE)) {
        String[] fields = line.trim().split("\\s+");
        inodes.add(fields[4]);
      }
    }
    return inodes;
  }

  /** Inodes of the memory-image memfds this process holds open. */
  private static Set<String> openImages() throws IOException {
    Set<String> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          if (Files.readSymbolicLink(fd).toString().contains(IMAGE)) {
            inodes.add(String.valueOf(Files.getAttribute(fd, "unix:ino")));
          }
        } catch (IOException e) {
          // the descriptor closed while listing (the directory stream's own, for one)
        }
      }
    }
    return inodes;
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void closingAModule_purgesItsAffineSlots_andReleasesItsImage() throws IOException {
    WasmModule module =
        new WasmBuilder().memory(1, -1).exportMemory("m", 0).activeData(0, ascii("image bytes")).parse();
    Set<String> mappedBefore = mappedImages();
    Set<String> openBefore = openImages();
    try (Engine engine = Pools.engine("linux", p -> p.totalMemories(3).maxUnusedWarmSlots(3))) {
      PooledWasmModule pooled = PooledWasmModule.load(engine, module);
      assertTrue(pooled.pooledModule().hasImage(0));
      PooledInstance open = pooled.instantiate();
      // Two more instances, closed: their slots stay warm, affine, with the image mapped.
      PooledInstance a = pooled.instantiate();
      PooledInstance b = pooled.instantiate();
      a.close();
      b.close();
      Set<String> mapped = mappedImages();
      mapped.removeAll(mappedBefore);
      assertEquals(1, mapped.size(), "the module's image is mapped: " + mapped);
      String image = mapped.iterator().next();
      assertTrue(openImages().contains(image), "its memfd is open");

      pooled.close();

      // The open instance keeps working on its image.
      assertEquals("image bytes", open.memory().readString(0, 11));
      open.memory().writeString(100, "still here");
      assertEquals("still here", open.memory().readString(100, 10));
      assertTrue(mappedImages().contains(image), "still mapped by the open instance");

      open.close();
      assertFalse(mappedImages().contains(image), "no slot maps the image any more");
      assertFalse(openImages().contains(image), "the memfd is closed");
      assertEquals(openBefore, openImages());
      assertEquals(3, engine.metrics().unusedWarmMemories(), "the purged slots stay warm, without affinity");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void metrics_countLiveAndWarmSlots(String backend) {
    WasmModule module = new WasmBuilder().memory(1, -1).table(2, -1).parse();
    try (Engine engine = Pools.engine(backend, p -> p.totalMemories(2).totalTables(2));
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      PooledInstance one = pooled.instantiate();
      PooledInstance two = pooled.instantiate();
      assertEquals(2, engine.metrics().coreInstances());
      assertEquals(2, engine.metrics().memories());
      assertEquals(2, engine.metrics().tables());
      one.close();
      two.close();
      assertEquals(0, engine.metrics().memories());
      assertEquals(2, engine.metrics().unusedWarmMemories());
      assertNotEquals(one.toString(), "");
    }
  }

  /** The README's example, on the default engine (the best backend, Wasmtime's defaults). */
  @Test
  void readmeExample_loadsInstantiatesCallsAndCloses() {
    WasmBuilder b = new WasmBuilder();
    b.exportFunction("add", b.function(b.type(I32_I32, I32), new Code().localGet(0).localGet(1).op(0x6a)));
    byte[] wasm = b.build();
    long[] sum;
    // README start
    try (Engine engine = Engine.create();
        PooledWasmModule module = PooledWasmModule.load(engine, Parser.parse(wasm));
        PooledInstance instance = module.instantiate()) {
      sum = instance.export("add").apply(2, 3);
    }
    // README end
    assertArrayEquals(new long[] {5}, sum);
  }
}
