package dev.wasmpool.fuzz;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * How long a fuzzer runs and from which seed, read from system properties, and the one-line
 * reproduction hints it prints.
 *
 * <p>A run draws one seed per case from the run's seed, so a case replays alone from its own seed:
 *
 * <ul>
 *   <li>{@value #SECONDS}: how long each fuzzer runs (default 30);
 *   <li>{@value #SEED}: the run's seed (default: a fresh one, printed at the start);
 *   <li>{@value #CASE}: run only the case with this seed (as printed when a case fails).
 * </ul>
 *
 * <p>Example: {@code mvn -B -ntp verify -pl fuzz -am -Dtest=CrossTenantLeakFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dwasmpool.fuzz.seconds=600}.
 */
final class FuzzBudget {

  static final String SECONDS = "wasmpool.fuzz.seconds";
  static final String SEED = "wasmpool.fuzz.seed";
  static final String CASE = "wasmpool.fuzz.case";

  private final String fuzzer;
  private final long deadlineNanos;
  private final long runSeed;
  private final Long onlyCase;
  private final SplittableRandom seeds;
  private int cases;

  private FuzzBudget(String fuzzer, long seconds, long runSeed, Long onlyCase) {
    this.fuzzer = fuzzer;
    this.deadlineNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    this.runSeed = runSeed;
    this.onlyCase = onlyCase;
    this.seeds = new SplittableRandom(runSeed);
  }

  /** The budget of {@code fuzzer} from the system properties; prints the run's seed. */
  static FuzzBudget of(Class<?> fuzzer) {
    long seconds = Long.parseLong(property(SECONDS, "30"));
    String seed = property(SEED, "");
    long runSeed = seed.isEmpty() ? new SplittableRandom().nextLong() : parseSeed(seed);
    String only = property(CASE, "");
    FuzzBudget budget =
        new FuzzBudget(fuzzer.getSimpleName(), seconds, runSeed, only.isEmpty() ? null : parseSeed(only));
    System.out.printf(
        "%s: %s, run seed %s (replay: -D%s=%s)%n",
        budget.fuzzer,
        only.isEmpty() ? seconds + " s" : "case " + only + " only",
        hex(runSeed),
        SEED,
        hex(runSeed));
    return budget;
  }

  private static String property(String name, String fallback) {
    String value = System.getProperty(name, "").trim();
    return value.isEmpty() ? fallback : value;
  }

  /** A seed as printed ({@code 0x} and 16 hex digits, read as unsigned) or in decimal. */
  static long parseSeed(String text) {
    return text.startsWith("0x") || text.startsWith("0X")
        ? Long.parseUnsignedLong(text.substring(2), 16)
        : Long.parseLong(text);
  }

  static String hex(long seed) {
    return "0x" + Long.toHexString(seed);
  }

  /**
   * The next case's seed, or {@code null} when the time is up (or the one case to replay ran).
   * Always gives at least one case.
   */
  Long nextCase() {
    if (onlyCase != null) {
      if (cases > 0) {
        return null;
      }
      cases++;
      return onlyCase;
    }
    if (cases > 0 && System.nanoTime() - deadlineNanos >= 0) {
      return null;
    }
    cases++;
    return seeds.nextLong();
  }

  /** What to put in a failure message: how to replay the case alone. */
  String replay(long caseSeed) {
    return fuzzer + " case " + hex(caseSeed) + " (replay: -Dtest=" + fuzzer + " -D" + CASE + "=" + hex(caseSeed) + ")";
  }

  /** Prints what the run did. */
  void report(String what) {
    System.out.printf("%s: %d cases, %s (run seed %s)%n", fuzzer, cases, what, hex(runSeed));
  }
}
