package dev.wasmpool.bench;

/**
 * The JMH settings every benchmark of the suite shares, chosen so that the whole suite (120
 * benchmark forks, each in its own JVM, about 6 to 7 seconds each) takes about fourteen minutes on
 * a two-core machine.
 */
final class BenchSettings {

  /** Warm-up iterations per run. */
  static final int WARMUP_ITERATIONS = 4;

  /** Length of one warm-up iteration. */
  static final int WARMUP_MILLIS = 500;

  /** Measured iterations per run; the report takes their median. */
  static final int ITERATIONS = 6;

  /** Length of one measured iteration. */
  static final int ITERATION_MILLIS = 500;

  /**
   * Forks of the memory-bound workload. How the JIT compiles Chicory's large interpreter loop
   * differs from fork to fork (its medians moved 0.79x to 1.35x against ByteBufferMemory between
   * single forks), so its median is taken over the iterations of three forks.
   */
  static final int WORKLOAD_FORKS = 3;

  /**
   * Forks of the one-against-two-threads benchmark. With two worker threads on two cores nothing is
   * left for the rest of the machine (the JVM's own threads, the kernel's, the host), so only the
   * two-thread figure pays for any other activity, and one fork can be unlucky: its median is
   * taken over the iterations of three forks.
   */
  static final int CONCURRENCY_FORKS = 3;

  /** The bench runs on the class path; impl-linux and the engine's views need native access. */
  static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";

  /** A fixed heap, large enough for Chicory's 4096-page memories (256 MiB per instance). */
  static final String HEAP = "-Xmx3g";

  private BenchSettings() {}
}
