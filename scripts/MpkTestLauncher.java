import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs JUnit test classes on the class path without Maven (Maven itself takes minutes under QEMU
 * TCG), one line per test: {@code PASS}, {@code FAIL} with the cause, or {@code SKIP} with the
 * reason. Used by scripts/mpk-emulator.sh inside the emulated machine. Exit status 1 on any
 * failure or when nothing ran.
 */
public final class MpkTestLauncher {

  private MpkTestLauncher() {}

  public static void main(String[] args) {
    List<ClassSelector> selectors = new ArrayList<>();
    for (String name : args) {
      selectors.add(selectClass(name));
    }
    AtomicInteger failed = new AtomicInteger();
    TestExecutionListener lines =
        new TestExecutionListener() {
          private final java.util.Map<TestIdentifier, Long> started = new java.util.concurrent.ConcurrentHashMap<>();

          @Override
          public void executionStarted(TestIdentifier test) {
            started.put(test, System.nanoTime());
          }

          @Override
          public void executionSkipped(TestIdentifier test, String reason) {
            System.out.println("SKIP " + test.getDisplayName() + ": " + reason);
          }

          @Override
          public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            long ms = (System.nanoTime() - started.getOrDefault(test, System.nanoTime())) / 1_000_000;
            if (!test.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
              return;
            }
            String id = test.getUniqueId();
            String where = id.replaceAll(".*\\[class:([^\\]]*)\\].*", "$1").replaceAll(".*\\.", "");
            java.util.regex.Matcher template = java.util.regex.Pattern.compile("\\[test-template:([^(]*)\\(").matcher(id);
            if (template.find()) {
              where += "." + template.group(1); // a parameterised test: its method, then the invocation
            }
            switch (result.getStatus()) {
              case SUCCESSFUL -> System.out.println("PASS " + where + "." + test.getDisplayName() + " (" + ms + " ms)");
              default -> {
                failed.incrementAndGet();
                System.out.println("FAIL " + where + "." + test.getDisplayName() + ": " + result.getThrowable().map(Throwable::toString).orElse("?"));
                result.getThrowable().ifPresent(Throwable::printStackTrace);
              }
            }
            System.out.flush();
          }
        };
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectors).build(), lines, summary);
    summary.getSummary().printTo(new PrintWriter(System.out, true));
    long ran = summary.getSummary().getTestsSucceededCount() + summary.getSummary().getTestsFailedCount();
    System.exit(failed.get() > 0 || summary.getSummary().getTotalFailureCount() > 0 || ran == 0 ? 1 : 0);
  }
}
