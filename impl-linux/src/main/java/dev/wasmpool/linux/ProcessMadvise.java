package dev.wasmpool.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.DecommitBatch;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Batched decommits through {@code process_madvise(2)}: one system call hands back up to {@link
 * #MAX_RANGES} ranges with {@code MADV_DONTNEED}, where {@code madvise(2)} takes one.
 *
 * <p>Whether the kernel takes it is found out once per JVM, by a probe on a scratch page: Linux
 * added {@code process_madvise} in 5.10 for a few advices only, and accepts {@code MADV_DONTNEED}
 * for the calling process since 6.13. The probe needs a pidfd of this process ({@code
 * pidfd_open(2)}), kept open for the JVM's life. Where the C library lacks either function, the
 * kernel refuses, or the scratch page still holds its byte afterwards, decommits fall back to
 * one {@code madvise} per range; {@link #method()} says which is used and why.
 */
@SuppressWarnings("restricted")
final class ProcessMadvise {

  /** {@code UIO_MAXIOV}: the most ranges one call may take. */
  static final int MAX_RANGES = 1024;

  /** {@code sizeof(struct iovec)}: a base pointer and a length. */
  private static final long IOVEC_BYTES = 16;

  /** The probe's verdict, made once. */
  private static final ProcessMadvise INSTANCE = probe();

  private final @Nullable MethodHandle call;
  private final int pidfd;
  private final String method;

  private ProcessMadvise(@Nullable MethodHandle call, int pidfd, String method) {
    this.call = call;
    this.pidfd = pidfd;
    this.method = method;
  }

  /**
   * This JVM's verdict.
   *
   * @return the probed facility
   */
  static ProcessMadvise get() {
    return INSTANCE;
  }

  /**
   * Whether batches go through one {@code process_madvise} call.
   *
   * @return {@code true} if the probe succeeded
   */
  boolean batched() {
    return call != null;
  }

  /**
   * How decommits are done, for the start-up log.
   *
   * @return a description, with the reason for a fallback
   */
  String method() {
    return method;
  }

  /**
   * Decommits every range of a batch of {@link LinuxReservation}s: {@code process_madvise} in
   * calls of up to {@link #MAX_RANGES} ranges, or one {@code madvise} per range.
   *
   * @param batch the ranges
   * @throws BackendException if a range is invalid, its reservation closed, or the kernel refuses
   */
  void decommit(DecommitBatch batch) {
    int n = batch.size();
    if (n == 0) {
      return;
    }
    LinuxReservation[] owners = new LinuxReservation[n];
    int[] stamps = new int[n];
    int entered = 0;
    try {
      for (; entered < n; entered++) {
        if (!(batch.reservation(entered) instanceof LinuxReservation r)) {
          throw new BackendException(
              "decommit",
              "range " + entered,
              "the reservation was not made by the linux backend");
        }
        owners[entered] = r;
        stamps[entered] = r.enterDecommit(batch.offset(entered), batch.length(entered));
      }
      MethodHandle handle = call;
      if (handle == null) {
        for (int i = 0; i < n; i++) {
          LibC.madvise(owners[i].addressOf(batch.offset(i)), batch.length(i), LibC.MADV_DONTNEED);
        }
      } else {
        advise(handle, owners, batch);
      }
    } finally {
      for (int i = 0; i < entered; i++) {
        owners[i].exitDecommit(stamps[i]);
      }
    }
  }

  private void advise(MethodHandle handle, LinuxReservation[] owners, DecommitBatch batch) {
    int n = batch.size();
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment iov = arena.allocate(IOVEC_BYTES * Math.min(n, MAX_RANGES), 8);
      int next = 0;
      long skip = 0; // bytes of range `next` already advised by a partial call
      while (next < n) {
        int count = Math.min(n - next, MAX_RANGES);
        long requested = 0;
        for (int i = 0; i < count; i++) {
          long start = owners[next + i].addressOf(batch.offset(next + i)) + (i == 0 ? skip : 0);
          long length = batch.length(next + i) - (i == 0 ? skip : 0);
          iov.setAtIndex(JAVA_LONG, 2L * i, start);
          iov.setAtIndex(JAVA_LONG, 2L * i + 1, length);
          requested += length;
        }
        long done = call(handle, iov, count, requested);
        // Advance over what was advised: whole ranges, then maybe part of one.
        skip += done;
        while (next < n && skip >= batch.length(next)) {
          skip -= batch.length(next);
          next++;
        }
      }
    }
  }

  private long call(MethodHandle handle, MemorySegment iov, int count, long requested) {
    MemorySegment state = LibC.callState();
    long r;
    try {
      r = (long) handle.invokeExact(state, pidfd, iov, (long) count, LibC.MADV_DONTNEED, 0);
    } catch (Throwable t) {
      throw LibC.unexpected("process_madvise", t);
    }
    if (r <= 0) {
      throw LibC.failure(
          "process_madvise",
          String.format(
              Locale.ROOT,
              "pidfd=%d, vlen=%d, bytes=0x%x, advice=MADV_DONTNEED",
              pidfd,
              count,
              requested),
          r == 0 ? 0 : LibC.errno(state));
    }
    return r;
  }

  /** Binds the two functions and tries them on a scratch page. */
  private static ProcessMadvise probe() {
    if (Boolean.getBoolean("wasmpool.linux.noProcessMadvise")) {
      return fallback("turned off by -Dwasmpool.linux.noProcessMadvise=true");
    }
    MethodHandle advise;
    MethodHandle open;
    try {
      advise =
          LibC.findFunction(
              "process_madvise",
              FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));
      open = LibC.findFunction("pidfd_open", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    } catch (NoSuchElementException e) {
      return fallback(e.getMessage());
    }
    int pidfd;
    MemorySegment state = LibC.callState();
    try {
      pidfd = (int) open.invokeExact(state, (int) ProcessHandle.current().pid(), 0);
    } catch (Throwable t) {
      return fallback("pidfd_open failed: " + t);
    }
    if (pidfd < 0) {
      return fallback("pidfd_open refused: " + Errno.name(LibC.errno(state)));
    }
    long page = LibC.pageSize();
    long scratch;
    try {
      scratch =
          LibC.mmap(
              0, page, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
    } catch (BackendException e) {
      LibC.close(pidfd);
      return fallback("no scratch page for the probe: " + e.getMessage());
    }
    try {
      MemorySegment bytes = LibC.memoryAt(scratch, page);
      bytes.set(JAVA_LONG, 0, 0x5741534D504F4F4CL);
      ProcessMadvise candidate = new ProcessMadvise(advise, pidfd, "process_madvise(2), one call per batch");
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment iov = arena.allocate(IOVEC_BYTES, 8);
        iov.set(JAVA_LONG, 0, scratch);
        iov.set(JAVA_LONG, 8, page);
        candidate.call(advise, iov, 1, page);
      } catch (BackendException e) {
        LibC.close(pidfd);
        return fallback("process_madvise(MADV_DONTNEED) on this process refused: " + Errno.name(e.errno()));
      }
      if (bytes.get(JAVA_LONG, 0) != 0) {
        LibC.close(pidfd);
        return fallback("process_madvise(MADV_DONTNEED) left the probe page's bytes in place");
      }
      return candidate;
    } finally {
      LibC.munmap(scratch, page);
    }
  }

  private static ProcessMadvise fallback(@Nullable String why) {
    return new ProcessMadvise(null, -1, "madvise(2) per range (" + why + ")");
  }
}
