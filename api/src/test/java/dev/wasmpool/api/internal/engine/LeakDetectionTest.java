package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.config;
import static dev.wasmpool.api.internal.engine.EngineFixture.slotOf;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.TableSlot;
import dev.wasmpool.api.testing.FakeBackend;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, point 5: an instance open past {@code leakDetectionThreshold} is logged once with the
 * stack that made it (manual clock, checks run by the test), and one that becomes unreachable
 * without {@code close()} is reclaimed by the cleaner (references dropped, {@code System.gc()} in
 * a bounded loop).
 */
class LeakDetectionTest {

  private static final Duration THRESHOLD = Duration.ofSeconds(2);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final RecordingLogger log = new RecordingLogger();
  private final FakeBackend backend = FakeBackend.linuxLike();
  private @Nullable LeakDetector detector;
  private @Nullable EngineImpl engine;

  private EngineImpl engine(PoolingAllocationConfig pool) {
    EngineConfig config = config(pool, b -> b);
    detector = new LeakDetector(pool.leakDetectionThreshold(), now::get, false, log);
    engine = new EngineImpl(config, backend, new PoolingAllocator(backend, config, pool), detector);
    return engine;
  }

  @AfterEach
  void closeEngine() {
    if (engine != null) {
      engine.close();
    }
  }

  /* ---- leakDetectionThreshold ---- */

  @Test
  void leakDetectionThreshold_openPastIt_oneWarningWithTheInstantiatingStack_unleakedOnClose() {
    EngineImpl engine = engine(smallPool().leakDetectionThreshold(THRESHOLD).build());
    PooledModule module = engine.register(withMemory("leaky", 1, -1));
    InstanceAllocation instance = instantiateHere(module);
    now.addAndGet(THRESHOLD.toNanos() - 1);
    assertEquals(0, detector.check(), "not open long enough");
    assertTrue(log.records.isEmpty(), log.records.toString());
    now.addAndGet(1);
    assertEquals(1, detector.check());
    assertEquals(0, detector.check(), "logged once");
    Record warning = log.only(System.Logger.Level.WARNING);
    assertEquals(
        "possible instance leak: an instance of module leaky has been open for more than"
            + " leakDetectionThreshold=2000 ms; it was instantiated on thread "
            + Thread.currentThread().getName()
            + " at:",
        warning.message());
    assertMadeBy(warning, "instantiateHere");

    now.addAndGet(Duration.ofMillis(500).toNanos());
    instance.close();
    Record info = log.only(System.Logger.Level.INFO);
    assertEquals(
        "the instance of module leaky reported as a possible leak was closed after 2500 ms (unleaked)",
        info.message());
    assertEquals(0, detector.recorded());
  }

  @Test
  void leakDetectionThreshold_closedInTime_nothingLogged() {
    EngineImpl engine = engine(smallPool().leakDetectionThreshold(THRESHOLD).build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    InstanceAllocation instance = module.allocate();
    assertEquals(1, detector.recorded());
    now.addAndGet(THRESHOLD.toNanos() - 1);
    instance.close();
    assertEquals(0, detector.recorded(), "a close forgets the instantiation");
    now.addAndGet(THRESHOLD.toNanos());
    assertEquals(0, detector.check());
    assertTrue(log.records.isEmpty(), log.records.toString());
  }

  @Test
  void leakDetectionThreshold_zero_recordsNothing_logsNothing() {
    EngineImpl engine = engine(smallPool().build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    try (InstanceAllocation instance = module.allocate()) {
      assertEquals(0, detector.recorded(), "no stack captured when the option is off");
      now.addAndGet(Duration.ofDays(1).toNanos());
      assertEquals(0, detector.check());
    }
    assertTrue(log.records.isEmpty(), log.records.toString());
  }

  @Test
  void leakDetectionThreshold_negative_rejectedNamingTheOption() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PoolingAllocationConfig.builder().leakDetectionThreshold(Duration.ofMillis(-1)).build());
    assertEquals("leakDetectionThreshold must not be negative (was -1ms)", e.getMessage());
    assertEquals(Duration.ZERO, PoolingAllocationConfig.defaults().leakDetectionThreshold());
    assertEquals(
        "PoolingAllocationConfig{leakDetectionThreshold=2000ms}",
        PoolingAllocationConfig.builder().leakDetectionThreshold(THRESHOLD).build().toString());
  }

  /* ---- reclaim after the garbage collector ---- */

  @Test
  void unreachable_neverClosed_slotsResetAndReclaimed_loggedWithTheStack_counted() {
    EngineImpl engine =
        engine(smallPool().totalMemories(1).totalTables(1).totalCoreInstances(1).leakDetectionThreshold(THRESHOLD).build());
    PooledModule module = engine.register(withMemoryAndTable("dropped", 1, 4));
    leakOne(module);
    assertEquals(1, engine.metrics().coreInstances());
    assertThrows(PoolExhaustedException.class, module::allocate, "the leaked instance holds the pool");

    collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 1);
    assertEquals(0, engine.metrics().coreInstances());
    assertEquals(0, engine.metrics().memories());
    assertEquals(0, engine.metrics().tables());
    Record warning = log.only(System.Logger.Level.WARNING);
    assertEquals(
        "an instance of module dropped became unreachable without being closed: the engine closed"
            + " it, and its slots return to the pool; close every instance, for example with"
            + " try-with-resources; it was instantiated on thread "
            + Thread.currentThread().getName()
            + " at:",
        warning.message());
    assertMadeBy(warning, "leakOne");

    try (InstanceAllocation next = module.allocate()) {
      assertEquals(0, slotOf(next, 0), "the pool's one slot came back");
      assertEquals(0, next.memories().get(0).segment().get(ValueLayout.JAVA_BYTE, 0), "reset");
      assertEquals(0, next.tables().get(0).elements().get(ValueLayout.JAVA_LONG, 0), "reset");
    }
  }

  @Test
  void unreachable_thresholdOff_reclaimedAll_theSameWithoutAStack() {
    EngineImpl engine = engine(smallPool().totalMemories(1).totalCoreInstances(1).build());
    PooledModule module = engine.register(withMemory("dropped", 1, -1));
    leakOne(module);
    collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 1);
    Record warning = log.only(System.Logger.Level.WARNING);
    assertTrue(
        warning.message().endsWith("(set leakDetectionThreshold to log where it was instantiated)"),
        warning.message());
    assertNull(warning.thrown());
    try (InstanceAllocation next = module.allocate()) {
      assertEquals(0, next.memories().get(0).segment().get(ValueLayout.JAVA_BYTE, 0));
    }
  }

  @Test
  void unreachable_onAThreadThatEnded_reclaimed() throws InterruptedException {
    EngineImpl engine = engine(smallPool().totalMemories(1).totalCoreInstances(1).build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    Thread request = Thread.ofPlatform().start(() -> leakOne(module));
    request.join();
    collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 1);
    assertEquals(0, engine.metrics().coreInstances());
    assertEquals(0, engine.metrics().memories());
    try (InstanceAllocation next = module.allocate()) {
      assertEquals(0, next.memories().get(0).segment().get(ValueLayout.JAVA_BYTE, 0));
    }
  }

  @Test
  void handleDropped_butItsMemoryKept_notReclaimed_untilTheMemoryGoesToo() {
    EngineImpl engine = engine(smallPool().totalMemories(2).totalCoreInstances(2).build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    LinearMemory kept = module.allocate().memories().get(0);
    kept.segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 'K');
    leakOne(module);
    // The other instance's reclaim shows that the collector and the cleaner ran.
    collectUntil(() -> engine.metrics().counters().leaksReclaimed() >= 1);
    for (int i = 0; i < 3; i++) {
      pause(System::gc);
    }
    assertEquals(1, engine.metrics().counters().leaksReclaimed());
    assertEquals('K', kept.segment().get(ValueLayout.JAVA_BYTE, 0), "what a runtime keeps stays usable");
    assertEquals(1, kept.grow(1));

    kept = null;
    collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 2);
    assertEquals(0, engine.metrics().coreInstances());
  }

  @Test
  void handleDropped_butItsMemoryKept_theBindingsCloseActionStillRunsWhenTheEngineCloses() {
    EngineImpl engine = engine(smallPool().build());
    PooledModule module = engine.register(withMemory("m", 1, -1));
    AtomicBoolean ran = new AtomicBoolean();
    InstanceAllocation dropped = module.allocate();
    dropped.whenClosed(() -> ran.set(true));
    LinearMemory kept = dropped.memories().get(0);
    dropped = null;
    for (int i = 0; i < 3; i++) {
      pause(System::gc);
    }
    try {
      engine.close();
    } catch (AssertionError expected) {
      // -ea: the engine reports the allocation it had to close.
    }
    assertTrue(ran.get(), "the memory kept the close action alive");
    assertThrows(IllegalStateException.class, kept::segment);
  }

  @Test
  void unreachable_recordedAsAJfrEvent(@TempDir Path dir) throws IOException {
    EngineImpl engine = engine(smallPool().build());
    PooledModule module = engine.register(withMemory("dropped", 1, -1));
    Path file = dir.resolve("leak.jfr");
    try (Recording recording = new Recording()) {
      recording.enable("dev.wasmpool.LeakReclaimed");
      recording.start();
      leakOne(module);
      collectUntil(() -> engine.metrics().counters().leaksReclaimed() == 1);
      recording.stop();
      recording.dump(file);
    }
    List<RecordedEvent> events =
        RecordingFile.readAllEvents(file).stream()
            .filter(e -> e.getEventType().getName().equals("dev.wasmpool.LeakReclaimed"))
            .toList();
    assertEquals(1, events.size(), events.toString());
    assertEquals("dropped", events.get(0).getString("module"));
  }

  @Test
  void handedOutMemoriesAndTables_forwardEveryMethodOfTheirInterface() {
    for (Class<?> wrapper : TrackedAllocation.class.getDeclaredClasses()) {
      for (Class<?> type : List.of(LinearMemory.class, TableSlot.class)) {
        if (type.isAssignableFrom(wrapper)) {
          for (Method method : type.getMethods()) {
            try {
              wrapper.getDeclaredMethod(method.getName(), method.getParameterTypes());
            } catch (NoSuchMethodException e) {
              throw new AssertionError(wrapper.getSimpleName() + " does not forward " + method, e);
            }
          }
        }
      }
    }
    assertEquals(
        2,
        Arrays.stream(TrackedAllocation.class.getDeclaredClasses())
            .filter(c -> LinearMemory.class.isAssignableFrom(c) || TableSlot.class.isAssignableFrom(c))
            .count());
  }

  /* ---- helpers ---- */

  /** Instantiates in a frame of its own, so that the recorded stack names it. */
  private static InstanceAllocation instantiateHere(PooledModule module) {
    return module.allocate();
  }

  /** Instantiates, writes the memory and drops every reference without closing. */
  private static void leakOne(PooledModule module) {
    InstanceAllocation leaked = module.allocate();
    leaked.memories().get(0).segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 'L');
    for (TableSlot table : leaked.tables()) {
      table.elements().set(ValueLayout.JAVA_LONG, 0, 42L);
    }
  }

  /** Collects until the condition holds: at most 200 rounds, each a GC and a short wait for the cleaner. */
  private static void collectUntil(BooleanSupplier condition) {
    for (int round = 0; round < 200 && !condition.getAsBoolean(); round++) {
      pause(System::gc);
    }
    assertTrue(condition.getAsBoolean(), "not reclaimed after 200 collections");
  }

  /** Runs {@code step}, then gives the cleaner's thread 10 ms. */
  private static void pause(Runnable step) {
    step.run();
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void assertMadeBy(Record record, String method) {
    Throwable stack = record.thrown();
    assertNotNull(stack, "the record carries the instantiation's stack");
    assertTrue(
        Arrays.stream(stack.getStackTrace())
            .anyMatch(f -> f.getClassName().equals(LeakDetectionTest.class.getName()) && f.getMethodName().equals(method)),
        Arrays.toString(stack.getStackTrace()));
  }

  record Record(System.Logger.Level level, String message, @Nullable Throwable thrown) {}

  /** A logger that keeps what it is given. */
  static final class RecordingLogger implements System.Logger {

    final List<Record> records = new CopyOnWriteArrayList<>();

    Record only(Level level) {
      List<Record> matching = records.stream().filter(r -> r.level() == level).toList();
      assertEquals(1, matching.size(), records.toString());
      return matching.get(0);
    }

    @Override
    public String getName() {
      return "recording";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public void log(Level level, @Nullable ResourceBundle bundle, String message, @Nullable Throwable thrown) {
      records.add(new Record(level, message, thrown));
    }

    @Override
    public void log(Level level, @Nullable ResourceBundle bundle, String format, @Nullable Object... params) {
      records.add(new Record(level, params == null ? format : MessageFormat.format(format, params), null));
    }
  }
}
