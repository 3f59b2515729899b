package dev.wasmpool.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.samples.counting.Operation;
import dev.wasmpool.samples.counting.OperationStats;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

@Isolated // reads process-wide counters
class BackendPluginSampleTest {

  @Test
  void run_countsOneResetPerRequest_andImagesOncePerModule() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    OperationStats.Snapshot counted =
        BackendPluginSample.run(4, 40, new PrintStream(buffer, true, StandardCharsets.UTF_8));
    assertTrue(counted.count(Operation.RESET) >= 40, counted.counts().toString());
    assertTrue(counted.count(Operation.RESERVE) >= 1, counted.counts().toString());
    // Affinity: 4 modules on a pool with free slots to spare never remap an image per request.
    assertTrue(counted.count(Operation.MAP_IMAGE) <= 4, counted.counts().toString());
    assertEquals(counted.count(Operation.RESERVE), counted.count(Operation.RELEASE));
    String out = buffer.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("backend: counting (counting calls to "), out);
    assertTrue(out.contains("  reset "), out);
  }
}
