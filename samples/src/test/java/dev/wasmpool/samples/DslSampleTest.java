package dev.wasmpool.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.api.PoolMetrics;
import dev.wasmpool.api.PoolingAllocationConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The Kotlin sample, driven from Java: its DSL-built configuration and its run. */
class DslSampleTest {

  @Test
  void sampleConfig_equalsTheJavaBuilderEquivalent() {
    EngineConfig expected =
        EngineConfig.builder()
            .memoryReservation(8L << 20)
            .memoryGuardSize(2L << 20)
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder()
                        .totalCoreInstances(16)
                        .totalMemories(16)
                        .totalTables(16)
                        .maxMemorySize(8L << 20)
                        .maxUnusedWarmSlots(4)
                        .linearMemoryKeepResident(64L << 10)
                        .memoryProtectionKeys(MemoryProtectionKeys.AUTO)
                        .build()))
            .build();
    assertEquals(expected, DslSample.getSampleConfig());
  }

  @Test
  void run_answersEveryRequest_andClosesEveryInstance() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PoolMetrics metrics = DslSample.runDslSample(4, 3, new PrintStream(buffer, true, StandardCharsets.UTF_8));
    assertEquals(0, metrics.coreInstances());
    String out = buffer.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("tenant-3: 64 pages, 3 requests answered correctly"), out);
    assertTrue(out.contains("engine configured with the Kotlin DSL: EngineConfig{"), out);
  }
}
