package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.ResourcePermit;
import dev.wasmpool.api.internal.events.PoolEvents;
import dev.wasmpool.api.internal.events.ResetMethod;
import dev.wasmpool.api.testing.FakeBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's JFR events, read back from a recording as a user's tooling would. */
class PoolEventsRecordingTest {

  @TempDir Path dir;

  /** Runs {@code work} under a recording of every wasmpool event and returns what it recorded. */
  private List<RecordedEvent> record(Runnable work) throws IOException {
    Path file = dir.resolve("wasmpool.jfr");
    try (Recording recording = new Recording()) {
      for (String name :
          List.of("Instantiate", "Close", "SlotReset", "PoolExhausted", "ModulePurge", "ImageCreate")) {
        recording.enable("dev.wasmpool." + name).withThreshold(java.time.Duration.ZERO);
      }
      recording.start();
      work.run();
      recording.stop();
      recording.dump(file);
    }
    assertTrue(Files.size(file) > 0);
    return RecordingFile.readAllEvents(file).stream()
        .filter(e -> e.getEventType().getName().startsWith("dev.wasmpool."))
        .toList();
  }

  private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
    return events.stream().filter(e -> e.getEventType().getName().equals("dev.wasmpool." + name)).toList();
  }

  @Test
  void instantiateCloseImageAndPurge_areRecordedWithModuleAndSlot() throws IOException {
    FakeBackend backend = FakeBackend.linuxLike();
    EngineImpl engine = engine(backend, smallPool().build());
    try {
      List<RecordedEvent> events =
          record(
              () -> {
                PooledModule module = engine.register(withMemory("greeter", 1, 2, data(16, "hello")));
                module.allocate().close();
                module.allocate().close();
                module.close();
              });
      List<RecordedEvent> instantiations = named(events, "Instantiate");
      assertEquals(2, instantiations.size(), events.toString());
      for (RecordedEvent e : instantiations) {
        assertEquals("greeter", e.getString("module"));
        assertEquals(1, e.getInt("memories"));
        assertEquals(0, e.getInt("tables"));
        assertTrue(e.getInt("memorySlot") >= 0, e.toString());
        assertFalse(e.getDuration().isNegative());
      }
      assertEquals("cold", instantiations.get(0).getString("slotKind"), "a slot never used before");
      assertEquals("affine", instantiations.get(1).getString("slotKind"), "the slot it left, by affinity");
      List<RecordedEvent> resets = named(events, "SlotReset");
      assertEquals(2, resets.size(), "one reset per close: " + events);
      assertEquals("memory", resets.get(0).getString("pool"));
      assertEquals("decommit", resets.get(0).getString("method"));
      assertEquals(65536, resets.get(0).getLong("bytesReset"));
      assertEquals(instantiations.get(0).getLong("moduleId"), instantiations.get(1).getLong("moduleId"));
      List<RecordedEvent> closes = named(events, "Close");
      assertEquals(2, closes.size(), events.toString());
      assertEquals("greeter", closes.get(0).getString("module"));
      assertFalse(closes.get(0).getBoolean("failed"));
      List<RecordedEvent> images = named(events, "ImageCreate");
      assertEquals(1, images.size(), "the image is built once, by the first instantiation: " + events);
      assertEquals("greeter", images.get(0).getString("module"));
      assertTrue(images.get(0).getLong("bytes") >= 5, images.get(0).toString());
      List<RecordedEvent> purges = named(events, "ModulePurge");
      assertEquals(1, purges.size(), events.toString());
      assertEquals("greeter", purges.get(0).getString("module"));
    } finally {
      EngineFixture.closeAndCheck(engine, backend);
    }
  }

  @Test
  void exhaustion_ofInstancesAndPermits_isRecordedWithKindAndLimit() throws IOException {
    FakeBackend backend = FakeBackend.linuxLike();
    EngineImpl engine = engine(backend, smallPool().totalCoreInstances(1).totalStacks(1).build());
    try {
      PooledModule module = engine.register(withMemory("busy", 1, 1));
      List<RecordedEvent> events =
          record(
              () -> {
                try (InstanceAllocation held = module.allocate();
                    ResourcePermit stack = engine.acquire(AccountedResource.STACK)) {
                  assertThrows(PoolExhaustedException.class, module::allocate);
                  assertThrows(PoolExhaustedException.class, () -> engine.acquire(AccountedResource.STACK));
                }
              });
      List<RecordedEvent> exhausted = named(events, "PoolExhausted");
      assertEquals(2, exhausted.size(), events.toString());
      assertEquals("core instances", exhausted.get(0).getString("kind"));
      assertEquals(1, exhausted.get(0).getLong("limit"));
      assertEquals("busy", exhausted.get(0).getString("module"));
      assertEquals("", exhausted.get(1).getString("module"));
      assertTrue(exhausted.get(0).getStackTrace() != null, "exhaustion keeps the caller's stack");
      assertEquals(1, named(events, "Instantiate").size(), "a refused instantiation records none");
    } finally {
      EngineFixture.closeAndCheck(engine, backend);
    }
  }

  @Test
  void slotReset_carriesMethodAndBytes() throws IOException {
    List<RecordedEvent> events =
        record(
            () ->
                PoolEvents.slotReset(
                    PoolEvents.slotResetStarted(), "memory", 3, ResetMethod.FILL_AND_DECOMMIT, 131072, 65536));
    List<RecordedEvent> resets = named(events, "SlotReset");
    assertEquals(1, resets.size(), events.toString());
    RecordedEvent e = resets.get(0);
    assertEquals("memory", e.getString("pool"));
    assertEquals(3, e.getInt("slot"));
    assertEquals("fill-and-decommit", e.getString("method"));
    assertEquals(131072, e.getLong("bytesReset"));
    assertEquals(65536, e.getLong("bytesKeptResident"));
  }
}
