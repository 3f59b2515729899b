package dev.wasmpool.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.MemoryInit;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.PooledModule;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The binder against Micrometer's SimpleMeterRegistry, on a real engine (portable backend). */
class PoolMetricsBinderTest {

  private static final long PAGE = MemoryType.PAGE_SIZE;

  private Engine engine;
  private SimpleMeterRegistry registry;

  @BeforeEach
  void start() {
    engine =
        Engine.create(
            EngineConfig.builder()
                .backend("portable")
                .memoryReservation(4 * PAGE)
                .memoryGuardSize(0)
                .allocationStrategy(
                    AllocationStrategy.pooling(
                        PoolingAllocationConfig.builder()
                            .totalMemories(2)
                            .totalTables(2)
                            .totalCoreInstances(2)
                            .maxMemorySize(4 * PAGE)
                            .linearMemoryKeepResident(PAGE)
                            .build()))
                .build());
    registry = new SimpleMeterRegistry();
    new PoolMetricsBinder(engine, Tags.of("pool", "test")).bindTo(registry);
  }

  @AfterEach
  void stop() {
    engine.close();
    registry.close();
  }

  private static ModuleDescriptor module(String name) {
    return new ModuleDescriptor(
        name,
        List.of(new MemoryType(1, OptionalLong.of(2), false)),
        List.of(),
        List.of(new MemoryInit(0, OptionalLong.of(0), "hi".getBytes(StandardCharsets.UTF_8))),
        Map.of());
  }

  private double gauge(String name) {
    Gauge gauge = registry.find(name).tag("pool", "test").gauge();
    assertNotNull(gauge, name + " is registered");
    return gauge.value();
  }

  @Test
  void bindTo_registersOneMeterPerComponent_withNamesUnitsAndTags() {
    // Every numeric component of PoolMetrics, and every one of its Counters record.
    RecordComponent[] components = PoolMetrics.class.getRecordComponents();
    RecordComponent[] counters = PoolMetrics.Counters.class.getRecordComponents();
    List<Meter> meters = registry.getMeters();
    assertEquals(components.length - 1 + counters.length, meters.size(), meters.toString());
    for (Meter meter : meters) {
      assertTrue(meter.getId().getName().startsWith("wasmpool."), meter.getId().toString());
      assertEquals("test", meter.getId().getTag("pool"));
    }
    Gauge resident = registry.find("wasmpool.unused.memory.bytes.resident").gauge();
    assertNotNull(resident);
    assertEquals("bytes", resident.getId().getBaseUnit());
    Gauge cores = registry.find("wasmpool.core.instances").gauge();
    assertNotNull(cores);
    assertNull(cores.getId().getBaseUnit());
  }

  @Test
  void gauges_followTheEngine_liveAndWarm() {
    assertEquals(0, gauge("wasmpool.core.instances"));
    assertEquals(0, gauge("wasmpool.unused.warm.memories"));
    try (PooledModule module = engine.register(module("m"))) {
      InstanceAllocation one = module.allocate();
      InstanceAllocation two = module.allocate();
      assertEquals(2, gauge("wasmpool.core.instances"));
      assertEquals(2, gauge("wasmpool.memories"));
      one.close();
      assertEquals(1, gauge("wasmpool.core.instances"));
      assertEquals(1, gauge("wasmpool.memories"));
      assertEquals(1, gauge("wasmpool.unused.warm.memories"));
      assertEquals(
          engine.metrics().unusedMemoryBytesResident(), gauge("wasmpool.unused.memory.bytes.resident"));
      assertTrue(gauge("wasmpool.unused.memory.bytes.resident") > 0, "the keep-resident page");
      two.close();
      assertEquals(0, gauge("wasmpool.core.instances"));
      assertEquals(2, gauge("wasmpool.unused.warm.memories"));
      module.allocate().close();
      assertEquals(2, counter("wasmpool.memory.cold.takes"));
      assertEquals(1, counter("wasmpool.memory.affine.takes"));
      assertEquals(3, counter("wasmpool.inline.resets"));
    }
  }

  private double counter(String name) {
    FunctionCounter counter = registry.find(name).tag("pool", "test").functionCounter();
    assertNotNull(counter, name + " is registered");
    return counter.count();
  }

  @Test
  void components_levelsAreGauges_everyOtherComponentIsACounter() {
    for (PoolMetricsBinder.Component c : PoolMetricsBinder.components()) {
      Meter meter = registry.find(c.meterName()).meter();
      assertNotNull(meter, c.meterName());
      if (PoolMetricsBinder.GAUGES.contains(c.name())) {
        assertTrue(meter instanceof Gauge, c.meterName() + " is a gauge");
      } else {
        assertTrue(meter instanceof FunctionCounter, c.meterName() + " is a cumulative counter");
      }
    }
    assertEquals("wasmpool.unused.warm.memories", new PoolMetricsBinder.Component(
        "unusedWarmMemories", null, PoolMetricsBinder.components().get(0).accessor(), true).meterName());
  }
}
