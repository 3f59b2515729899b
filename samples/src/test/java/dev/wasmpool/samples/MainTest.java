package dev.wasmpool.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class MainTest {

  private static Comparison run(SampleOptions options, ByteArrayOutputStream buffer) {
    return Main.run(options, new PrintStream(buffer, true, StandardCharsets.UTF_8));
  }

  @Test
  void run_servesEveryRequestRightBothWays_andPrintsTheTable() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Comparison result = run(new SampleOptions(400, 4, 2, "auto"), buffer);

    assertTrue(result.allResponsesRight(), result.toString());
    assertEquals(400, result.pooled().requests());
    assertEquals(400, result.plain().requests());
    assertEquals(400, result.pooled().latencyNanos().length);
    assertEquals(0, result.metrics().coreInstances(), "every pooled instance was closed");
    assertEquals(0, result.metrics().memories());
    assertTrue(result.metrics().unusedWarmMemories() > 0, "closed instances leave warm slots");
    assertTrue(result.pooled().peakLive() <= 2, "two threads hold at most two instances");

    String out = buffer.toString(StandardCharsets.UTF_8);
    for (String row :
        new String[] {
          "throughput (requests/s)", "latency p50 (us)", "latency p90 (us)", "latency p99 (us)",
          "p50, 64-page tenants (us)", "warm memory slots (unused)", "bytes kept resident in warm slots",
          "Chicory default", "wasmpool (" + result.backend() + ")"
        }) {
      assertTrue(out.contains(row), () -> "missing \"" + row + "\" in:\n" + out);
    }
    assertTrue(out.contains("\r"), "the progress line is redrawn in place");
  }

  @Test
  void run_latenciesGroupedByTenantSize_coverEveryRequest() {
    Comparison result = run(new SampleOptions(200, 8, 1, "portable"), new ByteArrayOutputStream());
    assertEquals("portable", result.backend());
    int grouped =
        result.pooled().latencyNanosByPages().values().stream().mapToInt(g -> g.length).sum();
    assertEquals(200, grouped);
    assertEquals(java.util.List.of(1, 4, 17, 64), java.util.List.copyOf(result.pooled().latencyNanosByPages().keySet()));
    long[] sorted = result.pooled().latencyNanos();
    assertTrue(IntStream.range(1, sorted.length).allMatch(i -> sorted[i - 1] <= sorted[i]));
    assertTrue(result.pooled().percentileMicros(0.5) <= result.pooled().percentileMicros(0.99));
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void run_onLinux_choosesTheLinuxBackend() {
    assertEquals("linux", run(new SampleOptions(50, 2, 1, "auto"), new ByteArrayOutputStream()).backend());
  }

  @Test
  void engineConfig_sizesThePoolForTheWorkload() {
    var config = Main.engineConfig(new SampleOptions(1, 8, 2, "auto"), IntStream.range(0, 8).mapToObj(Tenant::of).toList());
    var pool = ((dev.wasmpool.api.AllocationStrategy.Pooling) config.allocationStrategy()).config();
    assertEquals(128L * 65536, pool.maxMemorySize(), "twice the largest tenant's 64 pages");
    assertEquals(pool.maxMemorySize(), config.memoryReservation());
    assertEquals(32, pool.totalMemories());
  }
}
