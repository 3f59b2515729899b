package dev.wasmpool.fuzz;

import dev.wasmpool.spi.BackendException;
import java.util.EnumMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Which backend operations the {@code faulty} backend fails, and how often: each operation kind
 * has a probability, drawn from a seeded random source while the faults are {@linkplain #arm
 * armed}. Thread-safe.
 */
final class Faults {

  /** The operations a fault can be injected into. */
  enum Op {
    RESERVE,
    CREATE_IMAGE,
    MAKE_ACCESSIBLE,
    MAKE_INACCESSIBLE,
    RESET,
    MAP_IMAGE,
    REMOVE_IMAGE
  }

  /** A fault the backend made up; its message says so. */
  static final class InjectedFault extends BackendException {
    private static final long serialVersionUID = 1L;

    InjectedFault(Op op, String arguments) {
      super(op.name().toLowerCase(java.util.Locale.ROOT), arguments, "injected fault");
    }
  }

  private final Map<Op, Double> probability = new EnumMap<>(Op.class);
  private final Map<Op, Integer> injected = new EnumMap<>(Op.class);
  private SplittableRandom random = new SplittableRandom(0);
  private boolean armed;

  /** Starts failing operations with the given probabilities, drawn from {@code seed}. */
  synchronized void arm(long seed, Map<Op, Double> probabilities) {
    random = new SplittableRandom(seed);
    probability.clear();
    probability.putAll(probabilities);
    armed = true;
  }

  /** Stops failing operations. */
  synchronized void disarm() {
    armed = false;
  }

  /** Forgets the counts. */
  synchronized void clearCounts() {
    injected.clear();
  }

  /** Throws an {@link InjectedFault} for {@code op} if the dice say so. */
  synchronized void maybeFail(Op op, String arguments) {
    if (shouldFail(op)) {
      throw new InjectedFault(op, arguments);
    }
  }

  /** Whether {@code op} fails this time (and counts it if so). */
  synchronized boolean shouldFail(Op op) {
    if (!armed) {
      return false;
    }
    double p = probability.getOrDefault(op, 0.0);
    if (p <= 0 || random.nextDouble() >= p) {
      return false;
    }
    injected.merge(op, 1, Integer::sum);
    return true;
  }

  /** How many faults were injected, by operation. */
  synchronized Map<Op, Integer> injected() {
    Map<Op, Integer> copy = new EnumMap<>(Op.class);
    copy.putAll(injected);
    return copy;
  }
}
