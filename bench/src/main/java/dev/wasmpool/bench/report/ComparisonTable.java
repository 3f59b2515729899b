package dev.wasmpool.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Measurements arranged for comparison: one row per benchmark case, one column per value of the
 * comparison parameter (the memory implementation), and each cell's ratio to a baseline column.
 */
public final class ComparisonTable {

  /** One benchmark case: its label, its unit, and the median per column. */
  public record Row(String label, String unit, boolean higherIsBetter, Map<String, Double> cells) {}

  private final String columnParam;
  private final List<String> columns;
  private final String baseline;
  private final List<Row> rows;

  private ComparisonTable(String columnParam, List<String> columns, String baseline, List<Row> rows) {
    this.columnParam = columnParam;
    this.columns = columns;
    this.baseline = baseline;
    this.rows = rows;
  }

  /**
   * Arranges measurements.
   *
   * @param measurements the results, in the order their rows should appear
   * @param columnParam the parameter whose values become columns, for example {@code "memory"}
   * @param columns the column values in display order
   * @param baseline the column every ratio is relative to
   * @return the table
   */
  public static ComparisonTable of(
      List<Measurement> measurements, String columnParam, List<String> columns, String baseline) {
    Map<String, Row> rows = new LinkedHashMap<>();
    for (Measurement m : measurements) {
      String params = m.paramsLabel(columnParam);
      String label =
          m.benchmark()
              + (params.isEmpty() ? "" : " " + params)
              + (m.threads() > 1 ? " threads=" + m.threads() : "");
      boolean higherIsBetter = m.mode().equals("thrpt");
      Row row =
          rows.computeIfAbsent(
              label, k -> new Row(k, m.unit(), higherIsBetter, new LinkedHashMap<>()));
      String column = m.params().getOrDefault(columnParam, "");
      row.cells().put(column, m.median());
    }
    return new ComparisonTable(columnParam, List.copyOf(columns), baseline, new ArrayList<>(rows.values()));
  }

  /**
   * The rows.
   *
   * @return the rows, in first-appearance order
   */
  public List<Row> rows() {
    return rows;
  }

  /**
   * The column values.
   *
   * @return in display order
   */
  public List<String> columns() {
    return columns;
  }

  /**
   * How many times better a cell is than the baseline cell of its row: baseline / value for
   * times, value / baseline for throughputs.
   *
   * @param row the row
   * @param column the column
   * @return the ratio, or {@code null} if either cell is missing
   */
  public @Nullable Double ratio(Row row, String column) {
    Double value = row.cells().get(column);
    Double base = row.cells().get(baseline);
    if (value == null || base == null || value == 0 || base == 0) {
      return null;
    }
    return row.higherIsBetter() ? value / base : base / value;
  }

  /**
   * The table in Markdown: medians with units, then each column's ratio to the baseline.
   *
   * @return Markdown text
   */
  public String toMarkdown() {
    StringBuilder sb = new StringBuilder();
    sb.append("| case | unit |");
    for (String c : columns) {
      sb.append(' ').append(c).append(" |");
    }
    for (String c : columns) {
      if (!c.equals(baseline)) {
        sb.append(' ').append(c).append(" vs ").append(baseline).append(" |");
      }
    }
    sb.append('\n').append("|---|---|");
    sb.append("---:|".repeat(columns.size() * 2 - 1)).append('\n');
    for (Row row : rows) {
      sb.append("| ").append(row.label()).append(" | ").append(row.unit()).append(" |");
      for (String c : columns) {
        Double v = row.cells().get(c);
        sb.append(' ').append(v == null ? "—" : format(v)).append(" |");
      }
      for (String c : columns) {
        if (!c.equals(baseline)) {
          Double r = ratio(row, c);
          sb.append(' ').append(r == null ? "—" : String.format(Locale.ROOT, "%.2f×", r)).append(" |");
        }
      }
      sb.append('\n');
    }
    sb.append('\n')
        .append("Ratios: how many times better than `")
        .append(baseline)
        .append("` (")
        .append(columnParam)
        .append(" parameter): its time divided by the cell's time, or the cell's throughput divided by its throughput.\n");
    return sb.toString();
  }

  static String format(double v) {
    if (v >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (v >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
