package dev.wasmpool.samples;

import dev.wasmpool.api.EngineConfig;
import java.util.Locale;

/**
 * The request-handler sample's command line.
 *
 * @param requests requests served per allocation strategy
 * @param modules tenant modules the requests are spread over
 * @param threads worker threads
 * @param backend the wasmpool backend by name, or {@code "auto"}
 */
record SampleOptions(int requests, int modules, int threads, String backend) {

  /** The usage text printed by {@code --help} and after a bad argument. */
  static final String USAGE =
      """
      usage: Main [--requests=N] [--modules=M] [--threads=T] [--backend=NAME]
        --requests=N   requests served by each allocation strategy (default 20000)
        --modules=M    tenant modules the requests are spread over (default 8)
        --threads=T    worker threads (default: available processors, at most 4)
        --backend=NAME wasmpool backend: auto, linux, portable, or a plugin such as counting
                       (default auto; -Dwasmpool.backend=NAME also works)
      through Maven: mvn -B -ntp -q -DskipTests -Prun-sample package -pl samples -am \\
                       -Dsample.args="--requests=50000 --threads=2"
      """;

  /**
   * The options with every value at its default.
   *
   * @return the defaults
   */
  static SampleOptions defaults() {
    return new SampleOptions(
        20_000, 8, Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 4), EngineConfig.AUTO_BACKEND);
  }

  /**
   * Parses {@code --name=value} (or {@code --name value}) arguments over the defaults.
   *
   * @param args the command line
   * @return the options
   * @throws IllegalArgumentException naming the argument if one is unknown, lacks a value or is not
   *     a positive number
   */
  static SampleOptions parse(String... args) {
    SampleOptions o = defaults();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.isBlank()) {
        continue;
      }
      String name;
      String value;
      int eq = arg.indexOf('=');
      if (eq >= 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length) {
        name = arg;
        value = args[++i];
      } else {
        throw new IllegalArgumentException("argument " + arg + " needs a value");
      }
      o =
          switch (name.toLowerCase(Locale.ROOT)) {
            case "--requests", "-n" -> new SampleOptions(positive(name, value), o.modules, o.threads, o.backend);
            case "--modules", "-m" -> new SampleOptions(o.requests, positive(name, value), o.threads, o.backend);
            case "--threads", "-t" -> new SampleOptions(o.requests, o.modules, positive(name, value), o.backend);
            case "--backend", "-b" -> new SampleOptions(o.requests, o.modules, o.threads, value);
            default -> throw new IllegalArgumentException("unknown argument " + arg);
          };
    }
    return o;
  }

  private static int positive(String name, String value) {
    try {
      int n = Integer.parseInt(value.strip().replace("_", ""));
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with the argument's name
    }
    throw new IllegalArgumentException(name + " must be a positive number (was " + value + ")");
  }
}
