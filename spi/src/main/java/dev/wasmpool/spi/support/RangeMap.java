package dev.wasmpool.spi.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Disjoint half-open byte ranges {@code [start, end)} of one reservation, each carrying a value:
 * which ranges are accessible, which image is mapped where, which key colours what.
 *
 * <p>A coalescing map merges touching ranges with equal values (accessibility, colours); a
 * non-coalescing one keeps every {@link #put} as its own range (image mappings, where two adjacent
 * mappings of one image are still two mappings).
 *
 * <p>A helper for backend implementations; wasmpool's own backends use it for their per-reservation
 * bookkeeping.
 *
 * <p>Not thread-safe: the owning reservation guards it.
 *
 * @param <V> the value of a range
 */
public final class RangeMap<V extends Object> {

  /**
   * A callback over a range and its value.
   *
   * @param <V> the value of a range
   */
  @FunctionalInterface
  public interface RangeConsumer<V extends Object> {
    /**
     * Receives one range.
     *
     * @param start the first byte
     * @param end one past the last byte
     * @param value the range's value
     */
    void accept(long start, long end, V value);
  }

  /** The end and value of the range that starts at the map key. */
  private record Span<V extends Object>(long end, V value) {}

  /** Ranges by start; invariant: disjoint, each non-empty, and (if coalescing) no equal neighbours. */
  private final NavigableMap<Long, Span<V>> spans = new TreeMap<>();

  private final boolean coalesce;

  /**
   * An empty map.
   *
   * @param coalesce whether touching ranges with equal values merge into one
   */
  public RangeMap(boolean coalesce) {
    this.coalesce = coalesce;
  }

  /**
   * Gives {@code [start, end)} the value {@code value}, replacing what overlapped it.
   *
   * @param start the first byte
   * @param end one past the last byte; nothing happens if not above {@code start}
   * @param value the value
   */
  public void put(long start, long end, V value) {
    if (start >= end) {
      return;
    }
    remove(start, end);
    long from = start;
    long to = end;
    if (coalesce) {
      Map.Entry<Long, Span<V>> left = spans.lowerEntry(start);
      if (left != null && left.getValue().end() == start && left.getValue().value().equals(value)) {
        from = left.getKey();
        spans.remove(from);
      }
      Span<V> right = spans.get(end);
      if (right != null && right.value().equals(value)) {
        to = right.end();
        spans.remove(end);
      }
    }
    spans.put(from, new Span<>(to, value));
  }

  /**
   * Removes {@code [start, end)}, splitting ranges that stick out of it.
   *
   * @param start the first byte
   * @param end one past the last byte; nothing happens if not above {@code start}
   */
  public void remove(long start, long end) {
    if (start >= end) {
      return;
    }
    Map.Entry<Long, Span<V>> floor = spans.floorEntry(start);
    long from = floor != null && floor.getValue().end() > start ? floor.getKey() : start;
    NavigableMap<Long, Span<V>> overlapping = spans.subMap(from, true, end, false);
    List<Map.Entry<Long, Span<V>>> cut = snapshot(overlapping);
    overlapping.clear();
    for (Map.Entry<Long, Span<V>> entry : cut) {
      long s = entry.getKey();
      Span<V> span = entry.getValue();
      if (s < start) {
        spans.put(s, new Span<>(start, span.value()));
      }
      if (span.end() > end) {
        spans.put(end, new Span<>(span.end(), span.value()));
      }
    }
  }

  /**
   * Whether every byte of {@code [start, end)} lies in some range.
   *
   * @param start the first byte
   * @param end one past the last byte; an empty range is covered
   * @return true if covered without a gap
   */
  public boolean covers(long start, long end) {
    long pos = start;
    while (pos < end) {
      Map.Entry<Long, Span<V>> entry = spans.floorEntry(pos);
      if (entry == null || entry.getValue().end() <= pos) {
        return false;
      }
      pos = entry.getValue().end();
    }
    return true;
  }

  /**
   * Whether any byte of {@code [start, end)} lies in some range.
   *
   * @param start the first byte
   * @param end one past the last byte
   * @return true if some range overlaps
   */
  public boolean overlaps(long start, long end) {
    if (start >= end) {
      return false;
    }
    Map.Entry<Long, Span<V>> floor = spans.floorEntry(start);
    if (floor != null && floor.getValue().end() > start) {
      return true;
    }
    Long next = spans.higherKey(start);
    return next != null && next < end;
  }

  /**
   * The value of the range that starts exactly at {@code start}.
   *
   * @param start the first byte of a range
   * @return its value, or {@code null} if no range starts there
   */
  public @Nullable V startingAt(long start) {
    Span<V> span = spans.get(start);
    return span == null ? null : span.value();
  }

  /**
   * The end of the range that starts exactly at {@code start}.
   *
   * @param start the first byte of a range
   * @return one past its last byte, or {@code -1} if no range starts there
   */
  public long endOf(long start) {
    Span<V> span = spans.get(start);
    return span == null ? -1 : span.end();
  }

  /**
   * Visits the parts of ranges inside {@code [start, end)}, clipped to it, in ascending order.
   *
   * @param start the first byte
   * @param end one past the last byte
   * @param consumer receives each clipped part
   */
  public void forEachOverlap(long start, long end, RangeConsumer<? super V> consumer) {
    if (start >= end) {
      return;
    }
    Map.Entry<Long, Span<V>> floor = spans.floorEntry(start);
    long from = floor != null && floor.getValue().end() > start ? floor.getKey() : start;
    // Copied first: the consumer may change the map.
    List<Map.Entry<Long, Span<V>>> parts = snapshot(spans.subMap(from, true, end, false));
    for (Map.Entry<Long, Span<V>> entry : parts) {
      Span<V> span = entry.getValue();
      consumer.accept(Math.max(start, entry.getKey()), Math.min(end, span.end()), span.value());
    }
  }

  /**
   * Copies the entries of a view. A TreeMap's own entries must not be kept across a removal: the
   * map may reuse a deleted entry's node for its successor, changing the saved entry's key.
   */
  private static <V extends Object> List<Map.Entry<Long, Span<V>>> snapshot(
      NavigableMap<Long, Span<V>> view) {
    List<Map.Entry<Long, Span<V>>> copy = new ArrayList<>(view.size());
    for (Map.Entry<Long, Span<V>> entry : view.entrySet()) {
      copy.add(Map.entry(entry.getKey(), entry.getValue()));
    }
    return copy;
  }

  /**
   * Visits every range in ascending order.
   *
   * @param consumer receives each range
   */
  public void forEach(RangeConsumer<? super V> consumer) {
    forEachOverlap(Long.MIN_VALUE, Long.MAX_VALUE, consumer);
  }

  /**
   * Where the last range ends.
   *
   * @return one past the last byte of the highest range, or {@code 0} if the map is empty
   */
  public long end() {
    Map.Entry<Long, Span<V>> last = spans.lastEntry();
    return last == null ? 0 : last.getValue().end();
  }

  /**
   * Whether no range is left.
   *
   * @return true if empty
   */
  public boolean isEmpty() {
    return spans.isEmpty();
  }

  /**
   * The number of ranges, for tests.
   *
   * @return how many ranges are stored
   */
  public int size() {
    return spans.size();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("[");
    spans.forEach(
        (start, span) ->
            sb.append(sb.length() > 1 ? ", " : "")
                .append("0x")
                .append(Long.toHexString(start))
                .append("..0x")
                .append(Long.toHexString(span.end()))
                .append('=')
                .append(span.value()));
    return sb.append(']').toString();
  }
}
