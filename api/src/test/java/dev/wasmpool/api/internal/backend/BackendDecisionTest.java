package dev.wasmpool.api.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * One backend decision per JVM, seen from outside: child JVMs (class path and module path, with
 * and without the native access flag) make two engines each ({@code dev.wasmpool.probe.TwoEngines})
 * and must report one backend for both. Without the flag the first engine's memory view is a
 * restricted call the JDK allows with a warning, after which it lets the module call native code:
 * the second engine must not switch to the linux backend because of that.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "the linux backend is the better one only on Linux")
class BackendDecisionTest {

  private record Run(String stdout, String stderr) {}

  private static Run run(List<String> jvmArgs) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("dev.wasmpool.probe.TwoEngines");
    Process process = new ProcessBuilder(command).start();
    process.getOutputStream().close();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child JVM ends");
    assertEquals(0, process.exitValue(), "child failed: " + command + "\n" + out + err);
    return new Run(out, err);
  }

  /** The test's class path: test classes, then every jar and folder surefire put on the module path. */
  private static String testClassPath() {
    String modulePath = System.getProperty("jdk.module.path", "");
    String classPath = System.getProperty("java.class.path", "");
    Path testClasses = Path.of(System.getProperty("basedir", "."), "target", "test-classes");
    return String.join(File.pathSeparator, testClasses.toString(), modulePath, classPath);
  }

  private static List<String> classPath(String... flags) {
    List<String> args = new ArrayList<>(List.of(flags));
    args.addAll(List.of("-cp", testClassPath()));
    return args;
  }

  private static List<String> modulePath(String... flags) {
    List<String> args = new ArrayList<>(List.of(flags));
    Path testClasses = Path.of(System.getProperty("basedir", "."), "target", "test-classes");
    args.addAll(
        List.of(
            "-p",
            System.getProperty("jdk.module.path", ""),
            "--add-modules",
            "dev.wasmpool.api,dev.wasmpool.linux,dev.wasmpool.portable",
            "-cp",
            testClasses.toString()));
    return args;
  }

  private static void assertBothEngines(Run run, String backend) {
    assertTrue(run.stdout().contains("engine 1 backend=" + backend + "\n"), run.toString());
    assertTrue(run.stdout().contains("engine 2 backend=" + backend + "\n"), run.toString());
  }

  @Test
  void classPath_withoutFlag_bothEnginesPortable_andOneWarningNamesTheFlag() throws Exception {
    Run run = run(classPath());
    assertBothEngines(run, "portable");
    assertTrue(
        run.stdout().contains("after engine 1 linux native access=true"),
        "premise: the JDK enabled native access after the first restricted call: " + run);
    assertTrue(
        run.stderr().contains(
            "wasmpool backend 'linux' (priority 100) is present but cannot run: native access is"
                + " not enabled for ALL-UNNAMED; every engine of this JVM uses backend 'portable'"
                + " instead. To use 'linux', start the JVM with --enable-native-access=ALL-UNNAMED"),
        run.stderr());
    assertEquals(1, count(run.stderr(), "is present but cannot run"), "warned once: " + run.stderr());
  }

  @Test
  void classPath_withFlag_bothEnginesLinux_noWarning() throws Exception {
    Run run = run(classPath("--enable-native-access=ALL-UNNAMED"));
    assertBothEngines(run, "linux");
    assertFalse(run.stderr().contains("WARNING"), run.stderr());
  }

  @Test
  void modulePath_withoutFlag_bothEnginesPortable_andTheWarningNamesBothModules() throws Exception {
    Run run = run(modulePath());
    assertBothEngines(run, "portable");
    assertTrue(
        run.stderr().contains(
            "To use 'linux', start the JVM with"
                + " --enable-native-access=dev.wasmpool.api,dev.wasmpool.linux"),
        run.stderr());
  }

  @Test
  void modulePath_withFlag_bothEnginesLinux_noWarning() throws Exception {
    Run run = run(modulePath("--enable-native-access=dev.wasmpool.api,dev.wasmpool.linux"));
    assertBothEngines(run, "linux");
    assertFalse(run.stderr().contains("WARNING"), run.stderr());
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }
}
