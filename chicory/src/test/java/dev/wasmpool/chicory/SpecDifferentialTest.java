package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.testkit.WasmBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The WebAssembly core testsuite, run through Chicory's interpreter once with Chicory's own {@link
 * ByteArrayMemory} and again with pooled memories: every command must have the same outcome
 * (returned bits, or exception class and message).
 *
 * <p>The suite lives outside the repository ({@code shared/wasm-testsuite}, beside the checkout);
 * the pom passes its location as {@code wasmpool.testsuite}. Where it is absent (a user's clone) the
 * test is skipped with a message; in CI it is present.
 */
class SpecDifferentialTest {

  /** Where the pom says the suite is, else the conventional place beside the repository. */
  static Path suiteDirectory() {
    String configured = System.getProperty("wasmpool.testsuite");
    Path dir =
        configured != null && !configured.isBlank()
            ? Path.of(configured)
            : Path.of("..", "..", "shared", "wasm-testsuite");
    return dir.resolve("json");
  }

  static List<Path> scripts() throws IOException {
    Path json = suiteDirectory();
    Assumptions.assumeTrue(
        Files.isDirectory(json),
        "WebAssembly testsuite not found at "
            + json.toAbsolutePath().normalize()
            + " (set -Dwasmpool.testsuite=<dir with json/>); the differential run needs it");
    try (Stream<Path> files = Files.list(json)) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void pooledMemory_matchesChicorysOwnMemory_onEveryCommand() throws IOException {
    List<Path> scripts = scripts();
    DifferentialReport report =
        DifferentialReport.run(
            scripts,
            ChicoryRuntime::new,
            List.of(
                new DifferentialReport.Candidate("pooled (arena, no image)", () -> new ArenaRuntime(false)),
                new DifferentialReport.Candidate("pooled (arena, image)", () -> new ArenaRuntime(true))));
    System.out.println(report.summary());
    assertTrue(report.commands() > 0, "no command ran");
    assertEquals(List.of(), report.mismatches(), report.summary());
  }

  /**
   * The same comparison with memories and tables from real engines: on Linux one pooling engine per
   * script on the {@code linux} backend (slots are reused across the script's modules, images
   * mapped and replaced); on every OS one engine per module on the {@code portable} backend, whose
   * pool storage grows to cover the highest slot used, so that each engine allocates only what its
   * instance touches.
   */
  @Test
  void pooledEngines_matchChicorysOwnMemory_onEveryCommand() throws IOException {
    List<Path> scripts = scripts();
    List<DifferentialReport.Candidate> candidates = new ArrayList<>();
    for (String backend : Pools.backends()) {
      boolean perModule = backend.equals("portable");
      candidates.add(
          new DifferentialReport.Candidate(
              "engine " + backend + (perModule ? " (engine per module)" : " (engine per script)"),
              () -> new EngineRuntime(backend, perModule)));
    }
    DifferentialReport report = DifferentialReport.run(scripts, ChicoryRuntime::new, candidates);
    System.out.println(report.summary());
    assertTrue(report.commands() > 0, "no command ran");
    assertEquals(List.of(), report.mismatches(), report.summary());
  }

  /**
   * The same comparison with every module that can be snapshotted soundly preinitialized first (an
   * empty initialisation: the template's instantiation and start function are what is captured):
   * modules whose imports are functions only, and that have no start function if they import any,
   * since a start function calling an import would change host state the snapshot's instances then
   * miss. Each command then runs on an instance of the snapshot, which must behave as Chicory's
   * freshly instantiated one.
   */
  @Test
  void snapshots_matchChicorysOwnMemory_onEveryCommand() throws IOException {
    List<Path> scripts = scripts();
    AtomicInteger snapshotted = new AtomicInteger();
    List<DifferentialReport.Candidate> candidates = new ArrayList<>();
    for (String backend : Pools.backends()) {
      candidates.add(
          new DifferentialReport.Candidate(
              "snapshots on " + backend, () -> new EngineRuntime(backend, false, snapshotted)));
    }
    DifferentialReport report = DifferentialReport.run(scripts, ChicoryRuntime::new, candidates);
    System.out.println(
        report.summary() + "; modules snapshotted: " + snapshotted.get() + ", refused: " + EngineRuntime.refused);
    assertEquals(List.of(), report.mismatches(), report.summary());
    assertTrue(snapshotted.get() > 1000, "too few modules were snapshotted: " + snapshotted.get());
  }

  // ---- runtimes -------------------------------------------------------------------------------

  /** Pooled instances from wasmpool engines, through the public binding. */
  static final class EngineRuntime implements WastScript.Runtime {
    /** The largest memory the suite reaches is 804 pages. */
    private static final long MAX_MEMORY_BYTES = 1024 * Pools.PAGE;

    private final String backend;
    private final boolean enginePerModule;
    private final @Nullable AtomicInteger snapshotted;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private Engine shared;

    /** Why modules that qualified were refused a snapshot, across every runtime of the test. */
    static final List<String> refused = java.util.Collections.synchronizedList(new ArrayList<>());

    EngineRuntime(String backend, boolean enginePerModule) {
      this(backend, enginePerModule, null);
    }

    /**
     * With {@code snapshotted}, preinitializes each module that allows it (see {@link
     * #snapshots_matchChicorysOwnMemory_onEveryCommand()}) and counts them there.
     */
    EngineRuntime(String backend, boolean enginePerModule, @Nullable AtomicInteger snapshotted) {
      this.backend = backend;
      this.enginePerModule = enginePerModule;
      this.snapshotted = snapshotted;
    }

    /** Whether a module imports functions only, and has no start function if it imports any. */
    private static boolean snapshottable(WasmModule module) {
      int imports = module.importSection().importCount();
      return module.importSection().count(ExternalType.FUNCTION) == imports
          && (imports == 0 || module.startSection().isEmpty());
    }

    private Engine newEngine(int slots) {
      Engine engine =
          Engine.create(
              EngineConfig.builder()
                  .backend(backend)
                  .memoryReservation(MAX_MEMORY_BYTES)
                  .memoryGuardSize(enginePerModule ? 0 : 2 * Pools.PAGE)
                  .allocationStrategy(
                      AllocationStrategy.pooling(
                          PoolingAllocationConfig.builder()
                              .totalMemories(slots)
                              .totalTables(slots)
                              .totalCoreInstances(slots)
                              .maxMemoriesPerModule(8)
                              .maxTablesPerModule(16)
                              .tableElements(10_000)
                              .maxMemorySize(MAX_MEMORY_BYTES)
                              .maxUnusedWarmSlots(0)
                              .memoryProtectionKeys(Pools.memoryProtectionKeys(backend))
                              .build()))
                  .build());
      resources.add(engine);
      return engine;
    }

    private Engine engine() {
      if (enginePerModule) {
        return newEngine(16);
      }
      if (shared == null) {
        shared = newEngine(512);
      }
      return shared;
    }

    @Override
    public Instance instantiate(WasmModule module, ImportValues imports) {
      PooledWasmModule pooled = null;
      if (snapshotted != null && snapshottable(module)) {
        try {
          pooled = PooledWasmModule.builder(engine(), module).preinitialize(imports, template -> {}).build();
          snapshotted.incrementAndGet();
        } catch (IllegalStateException e) {
          // A state the snapshot cannot hold (a GC reference in a global or table): refused, so
          // the module runs as it is, and the refusal is counted apart.
          if (!String.valueOf(e.getMessage()).contains("cannot be preinitialized")) {
            throw e;
          }
          refused.add(module.toString() + ": " + e.getMessage());
        }
      }
      if (pooled == null) {
        pooled = PooledWasmModule.load(engine(), module);
      }
      resources.add(pooled);
      PooledInstance instance = pooled.instantiate(imports, null);
      resources.add(instance);
      return instance.instance();
    }

    @Override
    public Memory spectestMemory() {
      WasmModule spectest = new WasmBuilder().memory(1, 2).exportMemory("memory", 0).parse();
      return instantiate(spectest, ImportValues.builder().build()).exports().memory("memory");
    }

    @Override
    public void close() {
      // Instances before their modules before their engines: the reverse of creation.
      for (int i = resources.size() - 1; i >= 0; i--) {
        try {
          resources.get(i).close();
        } catch (Exception e) {
          throw new IllegalStateException("closing " + resources.get(i), e);
        }
      }
      resources.clear();
    }
  }

  /** Chicory as its own testsuite runs it: interpreter, {@link ByteArrayMemory}. */
  static final class ChicoryRuntime implements WastScript.Runtime {
    @Override
    public Instance instantiate(WasmModule module, ImportValues imports) {
      return Instance.builder(module)
          .withImportValues(imports)
          .withMachineFactory(InterpreterMachine::new)
          .withMemoryFactory(ByteArrayMemory::new)
          .build();
    }

    @Override
    public Memory spectestMemory() {
      return new ByteArrayMemory(new MemoryLimits(1, 2));
    }

    @Override
    public void close() {}
  }

  /**
   * Pooled memories over {@link ArenaLinearMemory} test slots; with {@code image}, each slot starts
   * with the module's constant data already in place, as a pool with memory images hands it out.
   */
  static final class ArenaRuntime implements WastScript.Runtime {
    private final boolean image;
    private final List<ArenaLinearMemory> slots = new ArrayList<>();

    ArenaRuntime(boolean image) {
      this.image = image;
    }

    @Override
    public Instance instantiate(WasmModule module, ImportValues imports) {
      DataSegmentCache data = DataSegmentCache.of(module);
      int imported = module.importSection().count(ExternalType.MEMORY);
      int[] next = {0};
      return Instance.builder(module)
          .withImportValues(imports)
          .withMachineFactory(InterpreterMachine::new)
          .withMemoryFactory(
              limits -> {
                int index = next[0]++;
                byte[] bytes = image ? image(data, imported + index, limits.initialPages()) : null;
                return memory(index, limits, data, bytes);
              })
          .build();
    }

    private Memory memory(int index, MemoryLimits limits, DataSegmentCache data, byte[] image) {
      long max = Math.min(limits.maximumPages(), Memory.RUNTIME_MAX_PAGES);
      ArenaLinearMemory slot =
          new ArenaLinearMemory(index, limits.initialPages(), max, limits.initialPages(), image);
      slots.add(slot);
      return new PooledMemory(slot, limits, data);
    }

    @Override
    public Memory spectestMemory() {
      return memory(0, new MemoryLimits(1, 2), DataSegmentCache.NONE, null);
    }

    @Override
    public void close() {
      slots.forEach(ArenaLinearMemory::close);
    }
  }

  /**
   * The initial contents a memory image would give a memory: its active segments applied in order,
   * or {@code null} when it has none or one is not a constant offset within the initial size.
   */
  static byte[] image(DataSegmentCache data, int memoryIndex, int initialPages) {
    long limit = (long) initialPages * Memory.PAGE_SIZE;
    long end = 0;
    for (int i = 0; i < data.size(); i++) {
      DataSegment segment = data.segment(i);
      if (segment instanceof ActiveDataSegment active && active.index() == memoryIndex) {
        long offset = data.constantOffset(i);
        long length = data.bytes(i, segment).length;
        if (offset == DataSegmentCache.NOT_CONSTANT || offset + length > limit) {
          return null;
        }
        end = Math.max(end, offset + length);
      }
    }
    if (end == 0) {
      return null;
    }
    byte[] image = new byte[(int) end];
    for (int i = 0; i < data.size(); i++) {
      DataSegment segment = data.segment(i);
      if (segment instanceof ActiveDataSegment active && active.index() == memoryIndex) {
        byte[] bytes = data.bytes(i, segment);
        System.arraycopy(bytes, 0, image, (int) data.constantOffset(i), bytes.length);
      }
    }
    return image;
  }
}
