package dev.wasmpool.samples.counting;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * How often each backend operation ran and how long it took, summed over every counting backend
 * of the process.
 *
 * <p>The engine creates its backend through {@link java.util.ServiceLoader}, so the application
 * never holds the backend object; the counts therefore live here, process-wide, and are read with
 * {@link #snapshot()}. Compare two snapshots to see what happened in between.
 *
 * <p>Thread-safe: counters are {@link LongAdder}s, cheap under contention.
 */
public final class OperationStats {

  /** Calls per operation, indexed by {@link Operation#ordinal()}. */
  private static final LongAdder[] COUNTS = adders();

  /** Nanoseconds per operation, indexed by {@link Operation#ordinal()}. */
  private static final LongAdder[] NANOS = adders();

  private OperationStats() {}

  private static LongAdder[] adders() {
    LongAdder[] adders = new LongAdder[Operation.values().length];
    for (int i = 0; i < adders.length; i++) {
      adders[i] = new LongAdder();
    }
    return adders;
  }

  /** Runs {@code action}, then counts it and its duration under {@code op}, even if it throws. */
  static <T> T time(Operation op, Supplier<T> action) {
    long start = System.nanoTime();
    try {
      return action.get();
    } finally {
      record(op, System.nanoTime() - start);
    }
  }

  /** Runs {@code action}, then counts it and its duration under {@code op}, even if it throws. */
  static void time(Operation op, Runnable action) {
    long start = System.nanoTime();
    try {
      action.run();
    } finally {
      record(op, System.nanoTime() - start);
    }
  }

  private static void record(Operation op, long nanos) {
    COUNTS[op.ordinal()].increment();
    NANOS[op.ordinal()].add(nanos);
  }

  /**
   * The counts and times so far.
   *
   * @return an immutable snapshot
   */
  public static Snapshot snapshot() {
    Map<Operation, Long> counts = new EnumMap<>(Operation.class);
    Map<Operation, Long> nanos = new EnumMap<>(Operation.class);
    for (Operation op : Operation.values()) {
      counts.put(op, COUNTS[op.ordinal()].sum());
      nanos.put(op, NANOS[op.ordinal()].sum());
    }
    return new Snapshot(Map.copyOf(counts), Map.copyOf(nanos));
  }

  /**
   * Counts and times at one moment.
   *
   * @param counts calls per operation
   * @param nanos total nanoseconds per operation
   */
  public record Snapshot(Map<Operation, Long> counts, Map<Operation, Long> nanos) {

    /**
     * Calls of {@code op} in this snapshot.
     *
     * @param op the operation
     * @return the count
     */
    public long count(Operation op) {
      return counts.getOrDefault(op, 0L);
    }

    /**
     * Total time spent in {@code op}.
     *
     * @param op the operation
     * @return nanoseconds
     */
    public long nanos(Operation op) {
      return nanos.getOrDefault(op, 0L);
    }

    /**
     * What happened between {@code earlier} and this snapshot.
     *
     * @param earlier a snapshot taken before this one
     * @return the differences
     */
    public Snapshot since(Snapshot earlier) {
      Map<Operation, Long> c = new EnumMap<>(Operation.class);
      Map<Operation, Long> n = new EnumMap<>(Operation.class);
      for (Operation op : Operation.values()) {
        c.put(op, count(op) - earlier.count(op));
        n.put(op, nanos(op) - earlier.nanos(op));
      }
      return new Snapshot(Map.copyOf(c), Map.copyOf(n));
    }

    /**
     * One line per operation that ran: its count, total and mean time.
     *
     * @return the table
     */
    public String table() {
      StringJoiner lines = new StringJoiner(System.lineSeparator());
      for (Operation op : Operation.values()) {
        long count = count(op);
        if (count > 0) {
          lines.add(
              String.format(
                  Locale.ROOT,
                  "  %-18s %,10d calls %,12.1f us total %,9.2f us mean",
                  op.name().toLowerCase(Locale.ROOT),
                  count,
                  nanos(op) / 1e3,
                  nanos(op) / 1e3 / count));
        }
      }
      return lines.toString();
    }
  }
}
