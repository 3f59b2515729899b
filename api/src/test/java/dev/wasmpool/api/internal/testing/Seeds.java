package dev.wasmpool.api.internal.testing;

import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

/**
 * Runs a randomized test body over many seeds and says how to replay a failing one.
 *
 * <p>By default each run draws a fresh base seed, so repeated runs explore new sequences. With
 * {@code -Dwasmpool.seed=<seed>} (decimal or {@code 0x} hex) only that seed runs. A failure is
 * rethrown as an {@link AssertionError} whose message starts with the Maven command that replays
 * it.
 */
public final class Seeds {

  /** The system property naming the one seed to run. */
  public static final String PROPERTY = "wasmpool.seed";

  private Seeds() {}

  /**
   * Runs {@code body} once per seed.
   *
   * @param testClass the test class, for the replay command
   * @param method the test method, for the replay command
   * @param count how many seeds to run when no seed is forced
   * @param body the test, given its seed
   */
  public static void forEachSeed(Class<?> testClass, String method, int count, LongConsumer body) {
    String forced = System.getProperty(PROPERTY);
    if (forced != null && !forced.isBlank()) {
      run(testClass, method, parse(forced.strip()), body);
      return;
    }
    SplittableRandom seeds = new SplittableRandom();
    for (int i = 0; i < count; i++) {
      run(testClass, method, seeds.nextLong(), body);
    }
  }

  private static void run(Class<?> testClass, String method, long seed, LongConsumer body) {
    try {
      body.accept(seed);
    } catch (RuntimeException | AssertionError e) {
      throw new AssertionError(
          String.format(
              Locale.ROOT,
              "seed 0x%x failed; reproduce with: mvn -B -ntp -q verify -pl api -am -Dtest=%s#%s"
                  + " -Dsurefire.failIfNoSpecifiedTests=false -D%s=0x%x: %s",
              seed,
              testClass.getSimpleName(),
              method,
              PROPERTY,
              seed,
              e),
          e);
    }
  }

  private static long parse(String seed) {
    if (seed.startsWith("0x") || seed.startsWith("0X")) {
      return Long.parseUnsignedLong(seed.substring(2), 16);
    }
    return Long.parseLong(seed);
  }
}
