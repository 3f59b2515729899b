package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.config;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.internal.backend.BackendSelector;
import dev.wasmpool.api.internal.memory.MemoryPool;
import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.spi.Backend;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Issue 14, point 3: {@code warmSlotIdleTimeout} hands an idle warm slot's memory back, with a
 * manual clock; on Linux the resident set is read from {@code /proc/self/smaps}.
 */
class IdleTrimTest {

  private static final Duration IDLE = Duration.ofSeconds(30);

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private EngineImpl engine(Backend backend, PoolingAllocationConfig pool) {
    EngineConfig config = config(pool, b -> b);
    return new EngineImpl(config, backend, new PoolingAllocator(backend, config, pool, now::get));
  }

  @Test
  void idleWarmSlots_trimmedAfterTheTimeout_imageRemoved_affinityCleared_stillUsable() {
    FakeBackend backend = FakeBackend.linuxLike();
    EngineImpl engine =
        engine(backend, smallPool().linearMemoryKeepResident(65536).warmSlotIdleTimeout(IDLE).build());
    PooledModule module = engine.register(withMemory("m", 2, -1, data(0, "IMAGE")));
    module.allocate().close();
    assertEquals(65536, engine.metrics().unusedMemoryBytesResident());
    PoolingAllocator pooling = EngineFixture.pooling(engine);
    now.addAndGet(IDLE.toNanos() - 1);
    assertEquals(0, pooling.trimIdle(), "not idle long enough");
    now.addAndGet(2);
    assertEquals(1, pooling.trimIdle());
    assertEquals(0, pooling.trimIdle(), "a trimmed slot is not trimmed again");
    assertEquals(0, engine.metrics().unusedMemoryBytesResident());
    assertEquals(1, engine.metrics().unusedWarmMemories(), "still warm");
    FakeBackend.FakeReservation slab = (FakeBackend.FakeReservation) EngineFixture.memoryPool(engine).slab();
    assertEquals(0, slab.images().size(), "its image was removed");
    backend.clearCalls();
    try (InstanceAllocation again = module.allocate()) {
      assertEquals(1, backend.count("mapImage"), "no affinity left: the image is mapped again");
      MemorySegment memory = again.memories().get(0).segment();
      assertEquals('I', (char) memory.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }
    closeAndCheck(engine, backend);
  }

  @Test
  void timeoutZero_nothingEverTrimmed() {
    FakeBackend backend = FakeBackend.linuxLike();
    EngineImpl engine = engine(backend, smallPool().linearMemoryKeepResident(65536).build());
    PooledModule module = engine.register(withMemory("m", 2, -1, data(0, "IMAGE")));
    module.allocate().close();
    now.addAndGet(Duration.ofDays(365).toNanos());
    assertEquals(0, EngineFixture.pooling(engine).trimIdle());
    assertEquals(65536, engine.metrics().unusedMemoryBytesResident());
    closeAndCheck(engine, backend);
  }

  /** The resident set of the slab, from /proc/self/smaps, falls back once idle slots are trimmed. */
  @Test
  @EnabledOnOs(value = OS.LINUX, disabledReason = "reads /proc/self/smaps")
  void linux_rssOfTheSlab_comesBackAfterTheTrim() throws IOException {
    Backend backend = BackendSelector.discover().select("linux").create();
    PoolingAllocationConfig pool =
        smallPool().totalMemories(8).totalCoreInstances(8).linearMemoryKeepResident(4 * 65536).warmSlotIdleTimeout(IDLE).build();
    EngineImpl engine = engine(backend, pool);
    try {
      PooledModule module = engine.register(withMemory("m", 8, -1, data(0, "IMAGE")));
      List<InstanceAllocation> live = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        InstanceAllocation a = module.allocate();
        a.memories().get(0).segment().fill((byte) 0x33); // 8 pages of 64 KiB resident
        live.add(a);
      }
      live.forEach(InstanceAllocation::close);
      MemorySegment slab = EngineFixture.memoryPool(engine).slab().segment();
      long before = residentKiB(slab.address(), slab.byteSize());
      now.addAndGet(IDLE.toNanos() + 1);
      assertEquals(8, EngineFixture.pooling(engine).trimIdle());
      long after = residentKiB(slab.address(), slab.byteSize());
      System.out.printf("slab RSS: %d KiB kept resident by 8 warm slots, %d KiB after the trim%n", before, after);
      assertTrue(before >= 8 * 256, "each warm slot keeps 256 KiB resident: " + before + " KiB");
      assertTrue(after < 64, "trimmed slots hold nothing: " + after + " KiB");
      assertEquals(0, engine.metrics().unusedMemoryBytesResident());
    } finally {
      engine.close();
    }
  }

  /** Without virtual memory a trim frees the slots' storage: what their reservations hold. */
  @Test
  void portable_trimFreesEverySlotsStorage() {
    Backend backend = BackendSelector.discover().select("portable").create();
    PoolingAllocationConfig pool =
        smallPool().totalMemories(4).totalCoreInstances(4).warmSlotIdleTimeout(IDLE).build();
    EngineImpl engine = engine(backend, pool);
    try {
      PooledModule module = engine.register(withMemory("m", 8, -1, data(0, "IMAGE")));
      List<InstanceAllocation> live = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        live.add(module.allocate());
      }
      live.forEach(InstanceAllocation::close);
      MemoryPool memories = EngineFixture.memoryPool(engine);
      assertEquals(4 * 8 * 65536, engine.metrics().unusedMemoryBytesResident(), "4 warm slots of 8 pages");
      now.addAndGet(IDLE.toNanos() + 1);
      assertEquals(4, EngineFixture.pooling(engine).trimIdle());
      assertEquals(0, engine.metrics().unusedMemoryBytesResident());
      for (int slot = 0; slot < 4; slot++) {
        assertEquals(0, memories.slot(slot).reservation().residentBytes(), "slot " + slot + " holds nothing");
      }
      try (InstanceAllocation again = module.allocate()) {
        MemorySegment memory = again.memories().get(0).segment();
        assertEquals(8 * 65536, memory.byteSize());
        assertEquals('I', (char) memory.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
      }
    } finally {
      engine.close();
    }
  }

  /** Sums the Rss of /proc/self/smaps entries inside [start, start + length). */
  static long residentKiB(long start, long length) throws IOException {
    long sum = 0;
    boolean inside = false;
    for (String line : Files.readAllLines(Path.of("/proc/self/smaps"))) {
      int dash = line.indexOf('-');
      int space = line.indexOf(' ');
      if (dash > 0 && space > dash && line.substring(0, dash).matches("[0-9a-f]+")) {
        long from = Long.parseUnsignedLong(line.substring(0, dash), 16);
        long to = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
        inside = from >= start && to <= start + length;
      } else if (inside && line.startsWith("Rss:")) {
        sum += Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return sum;
  }
}
