package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Execution speed of memory-bound code: the {@link MemoryWorkload} module (64 pages, 4 MiB) is
 * instantiated once per run; each operation calls {@code fill} ({@value #WORDS} pseudo-random
 * i32 stores from address 0), {@code memcpy} of those {@value #BYTES} bytes to 2 MiB (8-byte loads
 * and stores), {@code checksum} over them (byte loads), {@code sort} of the first {@value
 * #SORTED} copied i32s (shell sort: loads and stores at scattered addresses), {@code widths} over
 * the {@value #BYTES} bytes (every load and store width of i32, i64, f32 and f64, stores to 3 MiB),
 * {@code bulk} ({@code memory.copy} of them to 1 MiB and a {@code memory.fill} of as many bytes
 * after them) and {@code host} (a host function called once per {@value #HOST_CHUNK} bytes copies
 * them to 1.5 MiB with {@code Memory.readBytes} and {@code Memory.write}). Every access goes
 * through the instance's {@code Memory}, so the figures compare the memories, on Chicory's
 * interpreter ({@code machine=interpreter}) and on its runtime compiler ({@code machine=compiler},
 * the module compiled once per run).
 *
 * <p>Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar
 * WorkloadBenchmark} (after {@code mvn -B -ntp -q -DskipTests package -pl bench -am}); the whole
 * suite and its report: {@code mvn -B -ntp -q -DskipTests -Prun-bench package -pl bench -am}.
 */
// JMH sets the @Param fields, and @Setup the others, before any benchmark method runs.
@SuppressWarnings("initialization.field.uninitialized")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = BenchSettings.WARMUP_ITERATIONS, time = BenchSettings.WARMUP_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = BenchSettings.ITERATIONS, time = BenchSettings.ITERATION_MILLIS, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = BenchSettings.WORKLOAD_FORKS, jvmArgsAppend = {BenchSettings.NATIVE_ACCESS, BenchSettings.HEAP})
public class WorkloadBenchmark {

  /** Words {@code fill} writes per operation. */
  static final int WORDS = 16 * 1024;

  /** Bytes copied and checksummed per operation. */
  static final int BYTES = WORDS * 4;

  /** Where the copy goes. */
  static final int COPY_BASE = 2 * 1024 * 1024;

  /** Elements sorted per operation. */
  static final int SORTED = 1024;

  /** Where {@code widths} stores. */
  static final int WIDTHS_BASE = 3 * 1024 * 1024;

  /** Where {@code bulk} copies and fills. */
  static final int BULK_BASE = 1024 * 1024;

  /** Where the host function copies. */
  static final int HOST_BASE = 1536 * 1024;

  /** Bytes per host-function call. */
  static final int HOST_CHUNK = 4096;

  /** The compared memory; see {@link Subject}. */
  @Param({"pooled-linux", "pooled-portable", "chicory-bytebuffer", "chicory-bytearray"})
  public String memory;

  /** Chicory's interpreter or its runtime compiler. */
  @Param({"interpreter", "compiler"})
  public String machine;

  private Subject subject;
  private Subject.Tenant tenant;
  private ExportFunction fill;
  private ExportFunction memcpy;
  private ExportFunction checksum;
  private ExportFunction sort;
  private ExportFunction widths;
  private ExportFunction bulk;
  private ExportFunction host;
  private int seed;

  /** Loads (and for the compiler, compiles) the module and creates the one instance. */
  @Setup(Level.Trial)
  public void setUp() {
    boolean compiled =
        switch (machine) {
          case "interpreter" -> false;
          case "compiler" -> true;
          default -> throw new IllegalArgumentException("machine must be interpreter or compiler (was " + machine + ")");
        };
    subject =
        Subject.open(
            memory, MemoryWorkload.wasm(), compiled, ImportValues.builder().addFunction(MemoryWorkload.hostCopy()).build());
    tenant = subject.instantiate();
    Instance instance = tenant.instance();
    fill = instance.export("fill");
    memcpy = instance.export("memcpy");
    checksum = instance.export("checksum");
    sort = instance.export("sort");
    widths = instance.export("widths");
    bulk = instance.export("bulk");
    host = instance.export("host");
  }

  /** Closes the instance and the engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    tenant.close();
    subject.close();
  }

  /**
   * One round of the workload.
   *
   * @return the checksum and fill's last word, so that nothing is dead code
   */
  @Benchmark
  public long workload() {
    long last = fill.apply(WORDS, ++seed)[0];
    memcpy.apply(COPY_BASE, 0, BYTES);
    long hash = checksum.apply(BYTES)[0];
    sort.apply(COPY_BASE, SORTED);
    long mixed = widths.apply(0, WIDTHS_BASE, BYTES)[0];
    bulk.apply(BULK_BASE, 0, BYTES);
    host.apply(0, HOST_BASE, BYTES, HOST_CHUNK);
    return hash ^ (last << 32) ^ mixed;
  }
}
