package dev.wasmpool.api;

import java.io.Serial;
import java.util.Objects;

/**
 * A pool had no free slot: too many instances, memories, tables (or accounted stacks, component
 * instances or GC heaps) are live at once. The message reads {@code "maximum concurrent limit of
 * N for KIND reached"}; the condition clears when live instances close.
 */
public final class PoolExhaustedException extends RuntimeException {

  @Serial private static final long serialVersionUID = 1L;

  /** What ran out, for example {@code "memory stripe 0"}. */
  private final String kind;

  /** The configured limit. */
  private final long limit;

  /**
   * Creates the exception.
   *
   * @param kind what ran out: {@code "core instances"}, {@code "component instances"}, {@code
   *     "memory stripe N"}, {@code "tables"}, {@code "fibers"} or {@code "GC heaps"}
   * @param limit the configured limit
   */
  public PoolExhaustedException(String kind, long limit) {
    super("maximum concurrent limit of " + limit + " for " + Objects.requireNonNull(kind) + " reached");
    this.kind = kind;
    this.limit = limit;
  }

  /**
   * A limit reached after waiting for a slot ({@link PoolingAllocationConfig#acquireTimeout()}):
   * {@code "maximum concurrent limit of N for KIND reached; DETAIL"}.
   *
   * @param kind what ran out, for example {@code "memory stripe 0"}
   * @param limit the configured maximum
   * @param detail how long the caller waited and the pool's state
   */
  public PoolExhaustedException(String kind, long limit, String detail) {
    super(
        "maximum concurrent limit of "
            + limit
            + " for "
            + Objects.requireNonNull(kind)
            + " reached; "
            + Objects.requireNonNull(detail));
    this.kind = kind;
    this.limit = limit;
  }

  /**
   * What ran out.
   *
   * @return for example {@code "core instances"}
   */
  public String kind() {
    return kind;
  }

  /**
   * The configured limit that was reached.
   *
   * @return the limit
   */
  public long limit() {
    return limit;
  }
}
