package dev.wasmpool.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class MainTest {

  private static Comparison run(SampleOptions options, ByteArrayOutputStream buffer) {
    return run(options, buffer, false);
  }

  private static Comparison run(SampleOptions options, ByteArrayOutputStream buffer, boolean terminal) {
    return Main.run(options, new PrintStream(buffer, true, StandardCharsets.UTF_8), terminal);
  }

  @Test
  void run_servesEveryRequestRightBothWays_andPrintsTheTable() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Comparison result = run(new SampleOptions(400, 4, 2, "auto"), buffer, true);

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
    assertTrue(out.contains("\r"), "on a terminal the progress line is redrawn in place");
  }

  @Test
  void run_notOnATerminal_printsWholeLines_onePerPhase() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Comparison result = run(new SampleOptions(300, 4, 1, "auto"), buffer, false);
    assertTrue(result.allResponsesRight(), result.toString());
    String out = buffer.toString(StandardCharsets.UTF_8);
    assertFalse(out.contains("\r"), out);
    List<String> progress = out.lines().filter(l -> l.contains(" requests  ")).toList();
    // Two warm-ups, then each round serves both handlers; a run this short prints no line in between.
    assertEquals(2 + 2 * Main.ROUNDS, progress.size(), out);
    for (String line : progress) {
      assertTrue(line.matches("  .+ [0-9,]+ / [0-9,]+ requests +100%  +[0-9,]+ req/s"), line);
    }
    assertTrue(progress.get(0).contains("wasmpool warm-up") && progress.get(1).contains("Chicory warm-up"), out);
    assertTrue(progress.get(2).contains("round 1/6 wasmpool") && progress.get(3).contains("round 1/6 Chicory"), out);
    assertTrue(progress.get(4).contains("round 2/6 Chicory"), "the first to run alternates: " + out);
    assertEquals(300, result.pooled().requests());
    assertEquals(300, result.plain().requests());
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
