package dev.wasmpool.samples;

import com.dylibso.chicory.wasm.Parser;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * The pool's slot rules, seen from outside: which slot each instance got, read from the engine's
 * {@code dev.wasmpool.Instantiate} JFR events, and how many slots stay warm, from {@link
 * Engine#metrics()}. Four scenes, each on a fresh engine, each printing what the seed's rules
 * predict next to what happened:
 *
 * <ol>
 *   <li>{@code affinity}: one module, two instances closed in the order slot 0 then slot 1; the
 *       next instance takes the most recently freed slot affine to the module, slot 1.
 *   <li>{@code budget}: {@code maxUnusedWarmSlots = 1}, modules A and B both live, closed A then B;
 *       module C finds more warm slots than the budget and takes the least recently used, A's.
 *   <li>{@code threads}: {@code maxUnusedWarmSlots = 0}, a pool of 8 threads serving 1,000 requests
 *       one after another (each waits for the last): every request gets the same slot, the only
 *       one warm afterwards (peak concurrency 1 plus a budget of 0).
 *   <li>{@code batching}: {@code decommitBatchSize = 4}, 8 instances that wrote their memory, closed
 *       one after another: two full batches, so no reset is left pending. Run this scene alone under {@code strace -f -c -e
 *       trace=madvise,process_madvise} to count the decommit calls (two {@code process_madvise}
 *       where the kernel takes them).
 * </ol>
 *
 * <pre>
 * mvn -B -ntp -q -DskipTests -Prun-sample package -pl samples -am -Dsample.main=dev.wasmpool.samples.SlotRulesTour
 * mvn -B -ntp -q -DskipTests -Prun-sample package -pl samples -am -Dsample.main=dev.wasmpool.samples.SlotRulesTour -Dsample.args=batching
 * </pre>
 */
public final class SlotRulesTour {

  /** Room for the largest sample tenant (64 pages). */
  private static final long SLOT_BYTES = 8L << 20;

  private SlotRulesTour() {}

  /** One instantiation as its event reported it. */
  record Take(int slot, String kind) {}

  /** What one scene predicted and observed. */
  record Scene(String name, String expected, String observed) {
    boolean matches() {
      return expected.equals(observed);
    }
  }

  /**
   * Runs every scene, or the ones named.
   *
   * @param args scene names ({@code affinity}, {@code budget}, {@code threads}, {@code batching});
   *     none for all
   * @throws Exception if a scene fails
   */
  public static void main(String[] args) throws Exception {
    List<String> names = args.length == 0 ? List.of("affinity", "budget", "threads", "batching") : List.of(args);
    boolean all = true;
    for (String name : names) {
      Scene scene = run(name);
      System.out.printf("%-9s expected: %s%n          observed: %s  %s%n", name, scene.expected(), scene.observed(), scene.matches() ? "(as the seed says)" : "(DIFFERS)");
      all &= scene.matches();
    }
    if (!all) {
      throw new IllegalStateException("a scene differed from the seed's rules");
    }
  }

  /**
   * Runs one scene.
   *
   * @param name the scene
   * @return its prediction and observation
   * @throws Exception if the scene fails
   */
  static Scene run(String name) throws Exception {
    return switch (name) {
      case "affinity" -> affinity();
      case "budget" -> budget();
      case "threads" -> threads();
      case "batching" -> batching();
      default -> throw new IllegalArgumentException("no scene " + name + " (affinity, budget, threads, batching)");
    };
  }

  private static Scene affinity() throws Exception {
    List<Take> takes = new ArrayList<>();
    withEngine(pool().build(), engine -> {
      try (PooledWasmModule a = load(engine, 0)) {
        PooledInstance first = a.instantiate();
        PooledInstance second = a.instantiate();
        first.close();
        second.close();
        a.instantiate().close();
      }
    }, takes);
    Take next = takes.get(2);
    return new Scene("affinity", "first slot 0, second slot 1, next slot 1 (affine)",
        "first slot " + takes.get(0).slot() + ", second slot " + takes.get(1).slot() + ", next slot " + next.slot() + " (" + next.kind() + ")");
  }

  private static Scene budget() throws Exception {
    List<Take> takes = new ArrayList<>();
    withEngine(pool().maxUnusedWarmSlots(1).build(), engine -> {
      try (PooledWasmModule a = load(engine, 0);
          PooledWasmModule b = load(engine, 1);
          PooledWasmModule c = load(engine, 2)) {
        PooledInstance ia = a.instantiate();
        PooledInstance ib = b.instantiate();
        ia.close();
        ib.close();
        c.instantiate().close();
      }
    }, takes);
    return new Scene("budget", "A slot 0, B slot 1, C slot 0 (warm)",
        "A slot " + takes.get(0).slot() + ", B slot " + takes.get(1).slot() + ", C slot " + takes.get(2).slot() + " (" + takes.get(2).kind() + ")");
  }

  private static Scene threads() throws Exception {
    List<Take> takes = new ArrayList<>();
    AtomicInteger warmAfter = new AtomicInteger(-1);
    Set<String> served = ConcurrentHashMap.newKeySet();
    withEngine(pool().maxUnusedWarmSlots(0).build(), engine -> {
      ExecutorService threads = Executors.newFixedThreadPool(8);
      try (PooledWasmModule module = load(engine, 0)) {
        for (int request = 0; request < 1000; request++) {
          Future<?> done =
              threads.submit(
                  () -> {
                    served.add(Thread.currentThread().getName());
                    module.instantiate().close();
                  });
          done.get();
        }
        warmAfter.set(engine.metrics().unusedWarmMemories());
      } finally {
        threads.shutdown();
      }
    }, takes);
    TreeSet<Integer> slots = new TreeSet<>();
    takes.forEach(t -> slots.add(t.slot()));
    return new Scene("threads", "1000 requests on 8 threads, slots used [0], 1 warm after",
        takes.size() + " requests on " + served.size() + " threads, slots used " + slots + ", " + warmAfter.get() + " warm after");
  }

  private static Scene batching() throws Exception {
    List<Take> takes = new ArrayList<>();
    AtomicInteger pending = new AtomicInteger(-1);
    withEngine(pool().decommitBatchSize(4).build(), engine -> {
      try (PooledWasmModule module = load(engine, 0)) {
        List<PooledInstance> live = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          PooledInstance instance = module.instantiate();
          instance.instance().memory().writeI32(0, i + 1); // a written page: a reset has work
          live.add(instance);
        }
        live.forEach(PooledInstance::close);
        pending.set(engine.metrics().counters().pendingResets());
      }
    }, takes);
    return new Scene("batching", "8 instances closed, 0 resets pending",
        takes.size() + " instances closed, " + pending.get() + " resets pending");
  }

  private static PoolingAllocationConfig.Builder pool() {
    return PoolingAllocationConfig.builder().totalCoreInstances(16).totalMemories(16).totalTables(16).maxMemorySize(SLOT_BYTES);
  }

  private static PooledWasmModule load(Engine engine, int tenant) {
    return PooledWasmModule.load(engine, Parser.parse(Tenant.of(tenant).wasm()));
  }

  /** Runs a scene on a fresh engine with the instantiate events recorded into {@code takes}. */
  private static void withEngine(PoolingAllocationConfig pool, SceneBody body, List<Take> takes) throws Exception {
    EngineConfig config =
        EngineConfig.builder().allocationStrategy(AllocationStrategy.pooling(pool)).memoryReservation(SLOT_BYTES).build();
    Path file = Files.createTempFile("slot-rules", ".jfr");
    try (Recording recording = new Recording()) {
      recording.enable("dev.wasmpool.Instantiate");
      recording.start();
      try (Engine engine = Engine.create(config)) {
        body.run(engine);
      }
      recording.stop();
      recording.dump(file);
      readTakes(file, takes::add);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static void readTakes(Path file, Consumer<Take> sink) {
    try {
      List<RecordedEvent> events = RecordingFile.readAllEvents(file);
      events.sort((x, y) -> x.getStartTime().compareTo(y.getStartTime()));
      for (RecordedEvent event : events) {
        if (event.getEventType().getName().equals("dev.wasmpool.Instantiate")) {
          sink.accept(new Take(event.getInt("memorySlot"), event.getString("slotKind")));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A scene's steps on its engine. */
  @FunctionalInterface
  private interface SceneBody {
    void run(Engine engine) throws Exception;
  }
}
