package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.wasm.Parser;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.WasmBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 11, point 4, counted by the kernel: eight closes on the Linux backend make eight {@code
 * madvise} calls with {@code decommitBatchSize} 1, and two {@code process_madvise} calls (and no
 * {@code madvise}) with batch size 4. The calls are counted by {@code strace -c} attached to the
 * closing thread only, so the JVM's own threads do not count.
 *
 * <p>Needs {@code strace} (Debian's package; {@code .ci/run} installs it) and permission to trace
 * this process (root, or {@code ptrace_scope} 0).
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "counts Linux system calls with strace")
class DecommitSystemCallsTest {

  @ParameterizedTest(name = "batch {0}: {1} madvise, {2} process_madvise")
  @CsvSource({"1,8,0", "4,0,2"})
  void eightCloses_countedByStrace(int batch, int madvise, int processMadvise) throws Exception {
    Path strace = Path.of("/usr/bin/strace");
    assertTrue(
        Files.isExecutable(strace),
        "this test counts system calls with strace: install it (apt-get install strace)");
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    try (Engine engine =
            Pools.engine(
                "linux",
                p -> p.totalMemories(8).totalCoreInstances(8).totalTables(0).decommitBatchSize(batch));
        PooledWasmModule module = PooledWasmModule.load(engine, Parser.parse(b.build()))) {
      List<PooledInstance> live = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        PooledInstance instance = module.instantiate();
        instance.memory().writeI32(0, 0x5A5A5A5A); // a written page: the reset decommits it
        live.add(instance);
      }
      Map<String, Integer> calls = countedOnThisThread(strace, () -> live.forEach(PooledInstance::close));
      System.out.printf("decommitBatchSize %d, 8 closes: %s%n", batch, calls);
      assertEquals(madvise, calls.getOrDefault("madvise", 0), calls.toString());
      assertEquals(processMadvise, calls.getOrDefault("process_madvise", 0), calls.toString());
    }
  }

  /** Runs {@code work} on this thread while strace counts this thread's decommit calls. */
  private static Map<String, Integer> countedOnThisThread(Path strace, Runnable work)
      throws IOException, InterruptedException {
    String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
    Path out = Files.createTempFile("wasmpool-strace", ".txt");
    Path log = Files.createTempFile("wasmpool-strace", ".log");
    Process tracer =
        new ProcessBuilder(
                strace.toString(), "-c", "-e", "trace=madvise,process_madvise", "-o", out.toString(), "-p", tid)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!Files.readString(log).contains("attached")) {
        assertTrue(tracer.isAlive(), "strace could not attach: " + Files.readString(log));
        assertTrue(System.nanoTime() < deadline, "strace did not attach in 20 s: " + Files.readString(log));
        Thread.sleep(10);
      }
      work.run();
    } finally {
      tracer.destroy(); // SIGTERM: strace detaches and writes its summary
      assertTrue(tracer.waitFor(20, TimeUnit.SECONDS), "strace did not stop");
    }
    Map<String, Integer> calls = new HashMap<>();
    // "% time     seconds  usecs/call     calls    errors syscall": calls is the 4th column.
    for (String line : Files.readAllLines(out)) {
      String[] f = line.trim().split("\\s+");
      if (f.length >= 5 && (f[f.length - 1].equals("madvise") || f[f.length - 1].equals("process_madvise"))) {
        calls.put(f[f.length - 1], Integer.parseInt(f[3]));
      }
    }
    Files.deleteIfExists(out);
    Files.deleteIfExists(log);
    return calls;
  }
}
