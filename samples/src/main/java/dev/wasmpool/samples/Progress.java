package dev.wasmpool.samples;

import java.io.Console;
import java.io.PrintStream;

/**
 * Where the sample's progress goes. On a terminal one line is redrawn in place (carriage return)
 * as often as it is updated; anywhere else (a pipe, a file, a test) a complete line is printed at
 * the end of each phase and at most every {@link #LINE_PERIOD_NANOS} in between, so that the output
 * reads line by line.
 *
 * <p>Not thread-safe: the thread that runs the workload draws.
 */
final class Progress {

  /** The least time between two progress lines when the output is not a terminal: 5 s. */
  static final long LINE_PERIOD_NANOS = 5_000_000_000L;

  private final PrintStream out;
  private final boolean terminal;
  private long lastLineNanos = System.nanoTime();

  /**
   * Progress drawn on {@code out}.
   *
   * @param out where to print
   * @param terminal whether {@code out} is a terminal that honours a carriage return
   */
  Progress(PrintStream out, boolean terminal) {
    this.out = out;
    this.terminal = terminal;
  }

  /**
   * Whether standard output is a terminal. Since JDK 22 {@link System#console()} returns a console
   * even when the output is redirected, so {@link Console#isTerminal()} decides.
   *
   * @return {@code true} on an interactive terminal
   */
  static boolean standardOutputIsTerminal() {
    Console console = System.console();
    return console != null && console.isTerminal();
  }

  /**
   * Shows the state of a phase.
   *
   * @param line the state, without line ending
   * @param last whether the phase is over
   */
  void show(String line, boolean last) {
    if (terminal) {
      out.print("\r" + line + (last ? "\n" : ""));
      out.flush();
      return;
    }
    long now = System.nanoTime();
    if (last || now - lastLineNanos >= LINE_PERIOD_NANOS) {
      out.println(line);
      out.flush();
      lastLineNanos = now;
    }
  }
}
