package dev.wasmpool.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.bench.report.BarChart;
import dev.wasmpool.bench.report.ComparisonTable;
import dev.wasmpool.bench.report.Measurement;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

  private static final String JMH_JSON =
      """
      [
        {"benchmark":"dev.wasmpool.bench.Inst.create","mode":"avgt","threads":1,
         "params":{"memory":"pooled-linux","shape":"SMALL"},
         "primaryMetric":{"score":5.5,"scoreError":0.5,"scoreUnit":"us/op",
           "scorePercentiles":{"0.0":5.0,"50.0":5.0,"100.0":7.0},
           "rawData":[[7.0,5.0,5.0],[6.0,4.0,5.0,3.0]]}},
        {"benchmark":"dev.wasmpool.bench.Inst.create","mode":"avgt","threads":1,
         "params":{"memory":"chicory-bytebuffer","shape":"SMALL"},
         "primaryMetric":{"score":50.0,"scoreError":"NaN","scoreUnit":"us/op",
           "scorePercentiles":{"0.0":40.0,"50.0":45.0,"100.0":60.0}}},
        {"benchmark":"dev.wasmpool.bench.Inst.loop","mode":"thrpt","threads":2,
         "params":{"memory":"pooled-linux"},
         "primaryMetric":{"score":10.0,"scoreError":1.0,"scoreUnit":"ops/ms",
           "scorePercentiles":{"50.0":10.0}}},
        {"benchmark":"dev.wasmpool.bench.Inst.loop","mode":"thrpt","threads":2,
         "params":{"memory":"chicory-bytebuffer"},
         "primaryMetric":{"score":4.0,"scoreError":1.0,"scoreUnit":"ops/ms",
           "scorePercentiles":{"50.0":4.0}}}
      ]
      """;

  @Test
  void parse_readsMediansParamsAndThreads() {
    List<Measurement> ms = Measurement.parseJmhJson(JMH_JSON);
    assertEquals(4, ms.size());
    assertEquals("Inst.create", ms.get(0).benchmark());
    assertEquals(5.0, ms.get(0).median());
    assertEquals("SMALL", ms.get(0).params().get("shape"));
    assertTrue(Double.isNaN(ms.get(1).error()));
    assertEquals(2, ms.get(2).threads());
    assertEquals(List.of(5.0, 4.5), ms.get(0).forkMedians(), "each fork's median, in fork order");
    assertEquals(List.of(), ms.get(1).forkMedians(), "no raw data, no fork medians");
  }

  @Test
  void table_ratiosAreBaselineOverTimeAndThroughputOverBaseline() {
    ComparisonTable table =
        ComparisonTable.of(
            Measurement.parseJmhJson(JMH_JSON),
            "memory",
            List.of("pooled-linux", "pooled-portable", "chicory-bytebuffer"),
            "chicory-bytebuffer");
    assertEquals(2, table.rows().size());
    ComparisonTable.Row time = table.rows().get(0);
    assertEquals("Inst.create shape=SMALL", time.label());
    assertEquals(9.0, table.ratio(time, "pooled-linux"));
    assertNull(table.ratio(time, "pooled-portable"));
    ComparisonTable.Row throughput = table.rows().get(1);
    assertEquals("Inst.loop threads=2", throughput.label());
    assertEquals(2.5, table.ratio(throughput, "pooled-linux"));
    String md = table.toMarkdown();
    assertTrue(md.contains("| Inst.create shape=SMALL | us/op | 5.00 | — | 45.0 | 9.00× | — |"), md);
  }

  @Test
  void chart_writesAPngWithABarPerCell(@TempDir Path dir) throws Exception {
    ComparisonTable table =
        ComparisonTable.of(
            Measurement.parseJmhJson(JMH_JSON),
            "memory",
            List.of("pooled-linux", "chicory-bytebuffer"),
            "chicory-bytebuffer");
    Path png = dir.resolve("chart.png");
    BarChart.write(table, "test", png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(1400, image.getWidth());
    assertTrue(Files.size(png) > 1000);
    // The first bar (pooled-linux, first row) is drawn in the palette's first colour.
    assertEquals(0x1b9e77, image.getRGB(521, 61) & 0xffffff);
  }
}
