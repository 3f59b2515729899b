package dev.wasmpool.bench.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Draws a {@link ComparisonTable} as a PNG of grouped horizontal bars, one group per row and one
 * colour per column, on a logarithmic axis (instantiation times span four orders of magnitude).
 * Each row is scaled to its own unit; the axis shows each bar's ratio to the row's slowest bar.
 */
public final class BarChart {

  private static final Color[] PALETTE = {
    new Color(0x1b9e77), new Color(0x7570b3), new Color(0xd95f02), new Color(0xe7298a),
    new Color(0x66a61e), new Color(0xe6ab02)
  };
  private static final int WIDTH = 1400;
  private static final int LABEL_WIDTH = 520;
  private static final int BAR_HEIGHT = 14;
  private static final int GROUP_GAP = 14;
  private static final int TOP = 60;

  private BarChart() {}

  /**
   * Renders the table.
   *
   * @param table the measurements
   * @param title the chart's title
   * @param file where to write the PNG
   * @throws IOException if the file cannot be written
   */
  public static void write(ComparisonTable table, String title, Path file) throws IOException {
    List<String> columns = table.columns();
    List<ComparisonTable.Row> rows = table.rows();
    int groupHeight = columns.size() * BAR_HEIGHT + GROUP_GAP;
    int height = TOP + rows.size() * groupHeight + 40;
    BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, height);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      g.drawString(title, 12, 24);
      drawLegend(g, columns);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      int plotWidth = WIDTH - LABEL_WIDTH - 110;
      int y = TOP;
      for (ComparisonTable.Row row : rows) {
        drawGroup(g, row, columns, y, plotWidth);
        y += groupHeight;
      }
    } finally {
      g.dispose();
    }
    ImageIO.write(image, "png", file.toFile());
  }

  private static void drawLegend(Graphics2D g, List<String> columns) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    int x = 12;
    for (int i = 0; i < columns.size(); i++) {
      g.setColor(PALETTE[i % PALETTE.length]);
      g.fillRect(x, 36, 12, 12);
      g.setColor(Color.BLACK);
      g.drawString(columns.get(i), x + 16, 47);
      x += 22 + g.getFontMetrics().stringWidth(columns.get(i)) + 12;
    }
  }

  private static void drawGroup(
      Graphics2D g, ComparisonTable.Row row, List<String> columns, int y, int plotWidth) {
    double max = 0;
    double min = Double.MAX_VALUE;
    for (double v : row.cells().values()) {
      if (v > 0) {
        max = Math.max(max, v);
        min = Math.min(min, v);
      }
    }
    if (max == 0) {
      return;
    }
    // Log axis spanning at least three decades below the row's largest value.
    double decades = Math.max(3, Math.ceil(Math.log10(max / min)) + 0.5);
    g.setColor(Color.BLACK);
    g.drawString(row.label() + " [" + row.unit() + "]", 12, y + BAR_HEIGHT);
    for (int i = 0; i < columns.size(); i++) {
      Double v = row.cells().get(columns.get(i));
      int barY = y + i * BAR_HEIGHT;
      if (v == null || v <= 0) {
        continue;
      }
      double fraction = 1 - Math.log10(max / v) / decades;
      int w = Math.max(2, (int) Math.round(fraction * plotWidth));
      g.setColor(PALETTE[i % PALETTE.length]);
      g.fillRect(LABEL_WIDTH, barY, w, BAR_HEIGHT - 2);
      g.setColor(Color.DARK_GRAY);
      g.drawString(ComparisonTable.format(v), LABEL_WIDTH + w + 4, barY + BAR_HEIGHT - 3);
    }
    g.setColor(new Color(0xdddddd));
    g.setStroke(new BasicStroke(1));
    int bottom = y + columns.size() * BAR_HEIGHT + GROUP_GAP / 2;
    g.drawLine(12, bottom, WIDTH - 12, bottom);
  }
}
