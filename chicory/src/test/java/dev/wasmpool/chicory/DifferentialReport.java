package dev.wasmpool.chicory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs testsuite scripts through a reference runtime and candidate runtimes and counts, per
 * candidate, the commands whose outcome equals the reference's.
 */
final class DifferentialReport {

  /** Mismatches kept for the failure message; the count is always exact. */
  private static final int MISMATCHES_SHOWN = 40;

  /**
   * A runtime to compare with the reference.
   *
   * @param name its name in the summary
   * @param factory one fresh runtime per script
   */
  record Candidate(String name, Supplier<WastScript.Runtime> factory) {}

  private int files;
  private long modules;
  private long commands;
  private long referenceAsExpected;
  private final Map<String, Long> equal = new LinkedHashMap<>();
  private final Map<String, Long> identical = new LinkedHashMap<>();
  private final Map<String, Long> candidateAsExpected = new LinkedHashMap<>();
  private long mismatchCount;
  private final List<String> mismatches = new ArrayList<>();
  private long elapsedMillis;

  private DifferentialReport() {}

  static DifferentialReport run(
      List<Path> scripts, Supplier<WastScript.Runtime> reference, List<Candidate> candidates) {
    DifferentialReport report = new DifferentialReport();
    long start = System.nanoTime();
    for (Candidate c : candidates) {
      report.equal.put(c.name(), 0L);
      report.candidateAsExpected.put(c.name(), 0L);
      report.identical.put(c.name(), 0L);
    }
    for (Path path : scripts) {
      WastScript script = WastScript.load(path);
      report.files++;
      report.modules += script.moduleCount();
      report.commands += script.commandCount();
      List<WastScript.Outcome> expected;
      try (WastScript.Runtime runtime = reference.get()) {
        expected = script.run(runtime);
      }
      report.referenceAsExpected += expected.stream().filter(WastScript.Outcome::expected).count();
      for (Candidate c : candidates) {
        List<WastScript.Outcome> actual;
        try (WastScript.Runtime runtime = c.factory().get()) {
          actual = script.run(runtime);
        }
        long same = 0;
        long identical = 0;
        long asExpected = 0;
        for (int i = 0; i < expected.size(); i++) {
          WastScript.Outcome want = expected.get(i);
          WastScript.Outcome got = actual.get(i);
          if (got.expected()) {
            asExpected++;
          }
          if (want.actual().equals(got.actual())) {
            identical++;
          }
          if (want.category().equals(got.category())) {
            same++;
          } else {
            report.mismatchCount++;
            if (report.mismatches.size() < MISMATCHES_SHOWN) {
              report.mismatches.add(
                  c.name() + " " + want.where() + " " + want.type() + ": chicory=<" + want.actual()
                      + "> pooled=<" + got.actual() + ">");
            }
          }
        }
        report.equal.merge(c.name(), same, Long::sum);
        report.identical.merge(c.name(), identical, Long::sum);
        report.candidateAsExpected.merge(c.name(), asExpected, Long::sum);
      }
    }
    report.elapsedMillis = (System.nanoTime() - start) / 1_000_000;
    return report;
  }

  long commands() {
    return commands;
  }

  /** The mismatching commands (the first few), empty when every outcome matched. */
  List<String> mismatches() {
    if (mismatchCount > mismatches.size()) {
      List<String> all = new ArrayList<>(mismatches);
      all.add("... " + (mismatchCount - mismatches.size()) + " more");
      return all;
    }
    return mismatches;
  }

  String summary() {
    StringBuilder sb = new StringBuilder("spec differential: ")
        .append(files).append(" files, ")
        .append(modules).append(" modules, ")
        .append(commands).append(" commands; chicory (ByteArrayMemory) as the wast expects: ")
        .append(referenceAsExpected).append('/').append(commands);
    for (Map.Entry<String, Long> e : equal.entrySet()) {
      sb.append("; ").append(e.getKey()).append(": ")
          .append(e.getValue()).append('/').append(commands).append(" equal outcomes (")
          .append(identical.get(e.getKey())).append(" with identical messages, ")
          .append(candidateAsExpected.get(e.getKey())).append(" as the wast expects)");
    }
    return sb.append("; ").append(elapsedMillis).append(" ms").toString();
  }
}
