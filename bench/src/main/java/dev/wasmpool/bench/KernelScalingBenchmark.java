package dev.wasmpool.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the kernel charges a reset when two threads of one process reset at once, without any
 * wasmpool code: each thread owns a 17-page (1,088 KiB, the {@code medium} shape's) private
 * anonymous range, and makes one call ({@code call}), on one thread and then on two at once, in ns
 * per call and thread:
 *
 * <ul>
 *   <li>{@code scan}: the {@code PAGEMAP_SCAN} ioctl over its untouched range, as the Linux
 *       backend's reset does to find written pages. It takes the process's {@code mmap_lock} for
 *       reading, a word every thread's scan writes.
 *   <li>{@code decommit}: {@code madvise(MADV_DONTNEED)} over its untouched range. Two zaps of one
 *       process at once make the kernel flush every processor's TLB (its "nested flush" rule), so
 *       each call sends an inter-processor interrupt even though no page was mapped.
 *   <li>{@code touchDecommit}: one byte written, then the same {@code madvise}: what a reset of a
 *       memory the guest wrote costs, its page fault included.
 * </ul>
 *
 * <p>These bound what any pool whose resets use these calls can reach with two threads, whatever
 * its own code does. Linux only. Run alone: {@code java --enable-native-access=ALL-UNNAMED -jar
 * bench/target/benchmarks.jar KernelScalingBenchmark} (after {@code mvn -B -ntp -q -DskipTests
 * package -pl bench -am}); it is not part of the suite.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = BenchSettings.NATIVE_ACCESS)
public class KernelScalingBenchmark {

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();

  private static final MethodHandle MMAP =
      downcall("mmap", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
  private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
  private static final MethodHandle MADVISE =
      downcall("madvise", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
  private static final MethodHandle OPEN =
      LINKER.downcallHandle(
          LIBC.find("open").orElseThrow(),
          FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle IOCTL =
      LINKER.downcallHandle(
          LIBC.find("ioctl").orElseThrow(),
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG),
          Linker.Option.firstVariadicArg(2));

  private static final long RANGE = 17L << 16;
  private static final int PROT_READ_WRITE = 3;
  private static final int MAP_PRIVATE_ANONYMOUS_NORESERVE = 0x02 | 0x20 | 0x4000;
  private static final int MADV_DONTNEED = 4;
  private static final long PAGEMAP_SCAN = 0xC0606610L;
  private static final int SCAN_ARG_BYTES = 96;
  private static final int REGIONS = 64;

  private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
    return LINKER.downcallHandle(LIBC.find(name).orElseThrow(), descriptor);
  }

  /** One thread's range, its {@code /proc/self/pagemap} descriptor and its scan buffers. */
  // JMH calls @Setup before any benchmark method runs.
  @SuppressWarnings("initialization.field.uninitialized")
  @State(Scope.Thread)
  public static class ThreadRange {
    /** The call measured: {@code scan}, {@code decommit} or {@code touchDecommit}. */
    @Param({"scan", "decommit", "touchDecommit"})
    public String call;

    long address;
    int pagemap;
    MemorySegment scanArgument;
    Arena arena;

    /**
     * Maps the range and opens the descriptor.
     *
     * @throws Throwable if a call fails
     */
    @Setup(Level.Trial)
    public void setUp() throws Throwable {
      address = (long) MMAP.invokeExact(0L, RANGE, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS_NORESERVE, -1, 0L);
      if (address == -1L) {
        throw new IllegalStateException("mmap failed");
      }
      arena = Arena.ofConfined();
      pagemap = (int) OPEN.invokeExact(arena.allocateFrom("/proc/self/pagemap"), 0);
      if (pagemap < 0) {
        throw new IllegalStateException("open(/proc/self/pagemap) failed");
      }
      scanArgument = arena.allocate(SCAN_ARG_BYTES + REGIONS * 24L, 8);
    }

    /**
     * Unmaps the range and closes the descriptor.
     *
     * @throws Throwable if a call fails
     */
    @TearDown(Level.Trial)
    public void tearDown() throws Throwable {
      int unmapped = (int) MUNMAP.invokeExact(address, RANGE);
      int closed = (int) CLOSE.invokeWithArguments(pagemap); // not invokeExact: the Checker Framework fails on one int argument
      arena.close();
      if (unmapped != 0 || closed != 0) {
        throw new IllegalStateException("munmap or close failed");
      }
    }

    int call() throws Throwable {
      return switch (call) {
        case "scan" -> scan();
        case "decommit" -> decommit();
        case "touchDecommit" -> touchDecommit();
        default -> throw new IllegalArgumentException("call must be scan, decommit or touchDecommit (was " + call + ")");
      };
    }

    int scan() throws Throwable {
      MemorySegment arg = scanArgument;
      arg.set(JAVA_LONG, 0, SCAN_ARG_BYTES);
      arg.set(JAVA_LONG, 8, 0);
      arg.set(JAVA_LONG, 16, address);
      arg.set(JAVA_LONG, 24, address + RANGE);
      arg.set(JAVA_LONG, 32, 0);
      arg.set(JAVA_LONG, 40, arg.address() + SCAN_ARG_BYTES);
      arg.set(JAVA_LONG, 48, REGIONS);
      arg.set(JAVA_LONG, 56, 0);
      arg.set(JAVA_LONG, 64, 0);
      arg.set(JAVA_LONG, 72, 0);
      arg.set(JAVA_LONG, 80, (1L << 3) | (1L << 4)); // present or swapped
      arg.set(JAVA_LONG, 88, (1L << 3) | (1L << 4) | (1L << 2) | (1L << 5));
      int found = (int) IOCTL.invokeExact(pagemap, PAGEMAP_SCAN, arg.address());
      if (found < 0) {
        throw new IllegalStateException("PAGEMAP_SCAN failed (Linux 6.7 or later is needed)");
      }
      return found;
    }

    int decommit() throws Throwable {
      int result = (int) MADVISE.invokeExact(address, RANGE, MADV_DONTNEED);
      if (result != 0) {
        throw new IllegalStateException("madvise failed");
      }
      return result;
    }

    int touchDecommit() throws Throwable {
      MemorySegment.ofAddress(address).reinterpret(1).set(JAVA_BYTE, 0, (byte) 1);
      return decommit();
    }
  }

  /**
   * The call on one thread.
   *
   * @param range the thread's range and call
   * @return what the call returned
   * @throws Throwable if the call fails
   */
  @Benchmark
  @Threads(1)
  public int oneThread(ThreadRange range) throws Throwable {
    return range.call();
  }

  /**
   * The call on each of two threads at once.
   *
   * @param range the thread's range and call
   * @return what the call returned
   * @throws Throwable if the call fails
   */
  @Benchmark
  @Threads(2)
  public int twoThreads(ThreadRange range) throws Throwable {
    return range.call();
  }
}
