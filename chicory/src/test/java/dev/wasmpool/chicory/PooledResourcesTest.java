package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.Store;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Drop-in factories for code that builds its own {@code Instance.builder(...)}: {@link
 * PooledResources}, {@code withMemoryLimits}, {@code Store} linking, and a clear error for a
 * factory the per-instance options would put in the pool's place.
 */
class PooledResourcesTest {

  private static final int[] I32 = {WasmBuilder.I32};

  static List<String> backends() {
    return Pools.backends();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Memory of 1 to 4 pages holding "hello" at 16, a table of 2, and {@code load8(addr)}. */
  private static WasmModule module() {
    WasmBuilder b = new WasmBuilder().memory(1, 4).table(2, -1).exportMemory("memory", 0).exportTable("t", 0);
    b.exportFunction("load8", b.function(b.type(I32, I32), new Code().localGet(0).i32Load8U(0)));
    return b.activeData(16, ascii("hello")).parse();
  }

  private static Engine engine(String backend) {
    return Pools.engine(
        backend, p -> p.totalMemories(2).totalTables(2).maxMemorySize(4 * PAGE), e -> e.memoryReservation(4 * PAGE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void resources_poolTheMemoriesAndTables_ofAnInstanceTheCallerBuilds(String backend) {
    try (Engine engine = engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      Memory stale;
      TableInstance staleTable;
      try (PooledResources resources = module.resources()) {
        assertTrue(resources.allocation().isEmpty(), "nothing is taken before Chicory asks");
        Instance instance =
            Instance.builder(module.wasmModule())
                .withMemoryFactory(resources.memoryFactory())
                .withTableFactory(resources.tableFactory())
                .build();
        assertEquals(1, engine.metrics().memories());
        assertEquals(1, engine.metrics().tables());
        assertEquals('h', instance.export("load8").apply(16)[0]);
        assertInstanceOf(PooledMemory.class, instance.memory());
        assertInstanceOf(PooledTable.class, instance.table(0));
        instance.memory().writeString(0, "SECRET");
        stale = instance.memory();
        staleTable = instance.table(0);

        IllegalStateException twice =
            assertThrows(
                IllegalStateException.class,
                () -> Instance.builder(module.wasmModule()).withMemoryFactory(resources.memoryFactory()).build());
        assertTrue(twice.getMessage().contains("take new PooledResources"), twice.getMessage());
      }
      assertEquals(0, engine.metrics().memories(), "closing the resources returned the slots");
      assertEquals(0, engine.metrics().tables());
      assertThrows(IllegalStateException.class, () -> stale.read(0));
      assertThrows(IllegalStateException.class, () -> staleTable.ref(0));

      try (PooledResources next = module.resources()) {
        Instance instance = next.applyTo(Instance.builder(module.wasmModule())).build();
        assertEquals(0, instance.memory().read(0), "the previous tenant's bytes are gone");
        assertEquals('h', instance.memory().read(16));
      }
      PooledResources closed = module.resources();
      closed.close();
      IllegalStateException afterClose =
          assertThrows(
              IllegalStateException.class,
              () -> Instance.builder(module.wasmModule()).withMemoryFactory(closed.memoryFactory()).build());
      assertTrue(afterClose.getMessage().contains("were closed"), afterClose.getMessage());
      assertEquals(0, engine.metrics().memories());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void withMemoryLimits_isHonoured_upToTheDeclaredMaximum(String backend) {
    try (Engine engine = engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      try (PooledInstance instance = module.instantiate(o -> o.withMemoryLimits(new MemoryLimits(3, 4)))) {
        Memory memory = instance.memory();
        assertEquals(3, memory.pages());
        assertEquals(4, memory.maximumPages());
        assertEquals('h', memory.read(16), "the data is in place");
        memory.writeByte((int) (3 * PAGE - 1), (byte) 7);
        assertEquals(3, memory.grow(1));
        assertEquals(-1, memory.grow(1), "beyond the declared maximum");
      }
      try (PooledInstance capped = module.instantiate(o -> o.withMemoryLimits(new MemoryLimits(1, 2)))) {
        assertEquals(1, capped.memory().pages(), "back to the declared minimum: the slot was reset");
        assertEquals(1, capped.memory().grow(1));
        assertEquals(-1, capped.memory().grow(1), "the smaller maximum caps growth");
      }
      try (PooledResources resources = module.resources()) {
        Instance own =
            resources.applyTo(Instance.builder(module.wasmModule())).withMemoryLimits(new MemoryLimits(4, 4)).build();
        assertEquals(4, own.memory().pages());
        assertEquals(0, own.memory().read((int) (3 * PAGE - 1)), "a grown slot is reset too");
      }
      IllegalArgumentException tooLarge =
          assertThrows(
              IllegalArgumentException.class,
              () -> module.instantiate(o -> o.withMemoryLimits(new MemoryLimits(5, 5))));
      assertTrue(
          tooLarge.getMessage().contains("withMemoryLimits(5, 5) must stay within the declared limits of 1 to 4 pages"),
          tooLarge.getMessage());
      assertEquals(0, engine.metrics().memories(), "the failed instantiation returned its slots");
      assertEquals(0, engine.metrics().coreInstances());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void conflictingFactoryInTheOptions_isAClearError(String backend) {
    try (Engine engine = engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      IllegalStateException memory =
          assertThrows(
              IllegalStateException.class,
              () -> module.instantiate(o -> o.withMemoryFactory(ByteArrayMemory::new)));
      assertTrue(memory.getMessage().contains("set Instance.Builder.withMemoryFactory"), memory.getMessage());
      assertTrue(memory.getMessage().contains("PooledWasmModule.resources()"), memory.getMessage());
      IllegalStateException table =
          assertThrows(
              IllegalStateException.class,
              () -> module.instantiate(o -> o.withTableFactory((t, init) -> new TableInstance(t, init))));
      assertTrue(table.getMessage().contains("set Instance.Builder.withTableFactory"), table.getMessage());
      assertEquals(0, engine.metrics().memories(), "no slot is kept");
      assertEquals(0, engine.metrics().tables());
      assertEquals(0, engine.metrics().coreInstances());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void storeLinking_poolsEachInstance(String backend) {
    // "a" defines the memory and a table; "b" imports both, writes "Z" at 0 with its own data and
    // reads through the imported memory; "c" is built by the caller through Store.instantiate.
    WasmModule exporter = module();
    WasmBuilder ib = new WasmBuilder();
    ib.importMemory("a", "memory", 1, 4);
    int read = ib.function(ib.type(I32, I32), new Code().localGet(0).i32Load8U(0));
    WasmModule importer = ib.exportFunction("read", read).activeData(0, ascii("Z")).parse();
    WasmModule own = new WasmBuilder().memory(1, 1).exportMemory("m", 0).activeData(0, ascii("c")).parse();
    try (Engine engine = engine(backend);
        PooledWasmModule a = PooledWasmModule.load(engine, exporter);
        PooledWasmModule b = PooledWasmModule.load(engine, importer);
        PooledWasmModule c = PooledWasmModule.load(engine, own)) {
      Store store = new Store();
      try (PooledInstance first = a.instantiate(store, "a", null);
          PooledInstance second = b.instantiate(store, "b", null);
          PooledResources third = c.resources()) {
        Instance built =
            store.instantiate(
                "c", imports -> third.applyTo(Instance.builder(c.wasmModule()).withImportValues(imports)).build());
        assertEquals('h', second.export("read").apply(16)[0]);
        assertEquals('Z', first.memory().read(0), "b's data went into a's pooled memory");
        assertEquals('c', built.memory().read(0));
        assertEquals(2, engine.metrics().memories(), "a's and c's memories are pooled; b imports a's");
        assertEquals(first.memory(), store.toImportValues().memories()[0].memory());
      }
      assertEquals(0, engine.metrics().memories());
      assertFalse(engine.metrics().coreInstances() > 0);
    }
  }
}
