package dev.wasmpool.bench;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ServiceLoader;
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
 * The backend primitives the pool is built from, on each backend ({@code linux}, {@code
 * portable}, picked by provider name through {@link ServiceLoader}).
 *
 * <p>Workloads, each one operation per invocation, average time per operation:
 *
 * <ul>
 *   <li>{@code reserveRelease}: reserve 4 GiB plus a 32 MiB guard (Wasmtime's default slot) and
 *       release it at once. Linux: {@code mmap} and {@code munmap} of address space; portable: the
 *       bookkeeping and arena of a reservation that never allocates.
 *   <li>{@code resetAfterTouch}: a 4 MiB accessible range (1024 pages of 4 KiB); write one byte
 *       into each of the first {@code touchedPages} (1, 16, 256) pages, then reset the whole range.
 *       The figure includes the page faults of the writes, which an instance pays after a reset.
 *       Linux: {@code madvise(MADV_DONTNEED)}, cost grows with touched pages only; portable: fills
 *       all 4 MiB every time.
 *   <li>{@code imageMapUnmap}: map a 64 KiB image (one WebAssembly page) into a slot and remove
 *       it. Linux: two {@code mmap(MAP_FIXED)} calls; portable: a 64 KiB copy and a 64 KiB fill.
 * </ul>
 *
 * <p>Run (from the repository root, JDK 25):
 *
 * <pre>
 * mvn -B -ntp -DskipTests package -pl bench -am
 * java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar BackendPrimitives
 * </pre>
 *
 * A short run: add {@code -f 1 -wi 2 -i 3 -w 1s -r 1s}; one backend: {@code -p backend=linux}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class BackendPrimitives {

  /** Wasmtime's default slot: 4 GiB of memory reservation plus a 32 MiB guard. */
  static final long SLOT_BYTES = (4L << 30) + (32L << 20);

  /** The accessible range the reset benchmark resets: 4 MiB. */
  static final long RESET_BYTES = 4L << 20;

  /** The image size of the map benchmark: one WebAssembly page. */
  static final long IMAGE_BYTES = 64L << 10;

  /** One backend per thread, chosen by provider name. */
  @State(Scope.Thread)
  @SuppressWarnings("initialization.field.uninitialized") // JMH fills the fields before use
  public static class BackendState {

    /** The provider name. */
    @Param({"linux", "portable"})
    public String backend;

    Backend instance;

    /** Creates the backend. */
    @Setup(Level.Trial)
    public void create() {
      for (BackendProvider provider : ServiceLoader.load(BackendProvider.class)) {
        if (provider.name().equals(backend)) {
          if (!provider.support().supported()) {
            throw new IllegalStateException(backend + ": " + provider.support().reason());
          }
          instance = provider.create();
          return;
        }
      }
      throw new IllegalStateException("no backend provider named " + backend);
    }

    /** Closes the backend. */
    @TearDown(Level.Trial)
    public void close() {
      instance.close();
    }
  }

  /** A 4 MiB accessible range to dirty and reset. */
  @State(Scope.Thread)
  @SuppressWarnings("initialization.field.uninitialized") // JMH fills the fields before use
  public static class ResetState {

    /** Pages written before each reset. */
    @Param({"1", "16", "256"})
    public int touchedPages;

    Reservation reservation;
    long pageSize;

    /** Reserves and opens the range. */
    @Setup(Level.Trial)
    public void create(BackendState backend) {
      pageSize = backend.instance.pageSize();
      reservation = backend.instance.reserve(RESET_BYTES);
      reservation.makeAccessible(0, RESET_BYTES);
    }

    /** Releases the range. */
    @TearDown(Level.Trial)
    public void close() {
      reservation.close();
    }
  }

  /** A slot and a 64 KiB image to map into it. */
  @State(Scope.Thread)
  @SuppressWarnings("initialization.field.uninitialized") // JMH fills the fields before use
  public static class ImageState {

    Reservation reservation;
    MemoryImage image;

    /** Creates the slot and the image. */
    @Setup(Level.Trial)
    public void create(BackendState backend) {
      byte[] bytes = new byte[(int) IMAGE_BYTES];
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) (i * 31 + 7);
      }
      image = backend.instance.createImage(MemorySegment.ofArray(bytes));
      reservation = backend.instance.reserve(RESET_BYTES);
    }

    /** Releases the slot and the image. */
    @TearDown(Level.Trial)
    public void close() {
      reservation.close();
      image.close();
    }
  }

  /**
   * Reserves a Wasmtime-sized slot and releases it.
   *
   * @param backend the backend
   * @return the reserved size, so the work is not dead code
   */
  @Benchmark
  public long reserveRelease(BackendState backend) {
    try (Reservation reservation = backend.instance.reserve(SLOT_BYTES)) {
      return reservation.byteSize();
    }
  }

  /**
   * Writes one byte into each of the first {@code touchedPages} pages, then resets 4 MiB.
   *
   * @param state the range
   */
  @Benchmark
  public void resetAfterTouch(ResetState state) {
    MemorySegment memory = state.reservation.segment();
    for (long page = 0; page < state.touchedPages; page++) {
      memory.set(ValueLayout.JAVA_BYTE, page * state.pageSize, (byte) 1);
    }
    state.reservation.reset(0, RESET_BYTES);
  }

  /**
   * Maps a 64 KiB image at the start of a slot and removes it.
   *
   * @param state the slot and image
   */
  @Benchmark
  public void imageMapUnmap(ImageState state) {
    state.reservation.mapImage(0, state.image);
    state.reservation.removeImage(0);
  }
}
