package dev.wasmpool.linux;

import dev.wasmpool.spi.support.ByteCount;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wasmpool.spi.BackendException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import java.util.Set;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The C library functions the Linux backend calls, bound once through the FFM API.
 *
 * <p>One {@code static final} method handle per function, each built by its own lookup method that
 * spells out the C prototype. Every handle captures {@code errno} into a segment of the calling
 * thread, so that a failure is reported with the right error even when threads race; a failed call
 * becomes a {@link BackendException} carrying the function, its arguments (addresses in hex),
 * {@code errno}'s name and its text.
 *
 * <p>This class is the only one that uses restricted FFM methods (downcall handles and {@link
 * MemorySegment#reinterpret(long)}), so the {@code restricted} warning is suppressed here and
 * nowhere else. It is loaded only after {@link LinuxBackendProvider#support()} has checked that
 * native access is enabled for this module, so it never triggers the JDK's native access warning.
 * If a symbol is missing (an old or unusual C library), class initialisation fails and the
 * provider reports the backend as unsupported.
 *
 * <p>Constants are the Linux UAPI values (asm-generic and x86 agree on all used here), which
 * glibc and musl pass through unchanged.
 */
@SuppressWarnings("restricted")
final class LibC {

  /** {@code PROT_NONE}: no access. */
  static final int PROT_NONE = 0x0;

  /** {@code PROT_READ}: pages may be read. */
  static final int PROT_READ = 0x1;

  /** {@code PROT_WRITE}: pages may be written. */
  static final int PROT_WRITE = 0x2;

  /** {@code MAP_SHARED}: the mapping shares the file's pages. */
  static final int MAP_SHARED = 0x01;

  /** {@code MAP_PRIVATE}: writes are private copies (copy-on-write for file mappings). */
  static final int MAP_PRIVATE = 0x02;

  /** {@code MAP_FIXED}: replace whatever is mapped at exactly this address. */
  static final int MAP_FIXED = 0x10;

  /** {@code MAP_ANONYMOUS}: zero-filled memory with no file. */
  static final int MAP_ANONYMOUS = 0x20;

  /** {@code MAP_NORESERVE}: no swap or commit charge is reserved up front. */
  static final int MAP_NORESERVE = 0x4000;

  /** {@code MADV_DONTNEED}: drop the pages; the next touch reads the file's bytes or zero. */
  static final int MADV_DONTNEED = 4;

  /** {@code O_RDONLY}: open for reading only. */
  static final int O_RDONLY = 0;

  /** {@code O_CLOEXEC}: the descriptor is closed on exec. */
  static final int O_CLOEXEC = 0x80000;

  /** {@code MFD_CLOEXEC}: the memfd is closed on exec. */
  static final int MFD_CLOEXEC = 0x1;

  /** {@code MFD_ALLOW_SEALING}: seals may be added to the memfd. */
  static final int MFD_ALLOW_SEALING = 0x2;

  /** {@code F_ADD_SEALS} ({@code F_LINUX_SPECIFIC_BASE + 9}). */
  static final int F_ADD_SEALS = 1033;

  /** {@code F_GET_SEALS} ({@code F_LINUX_SPECIFIC_BASE + 10}). */
  static final int F_GET_SEALS = 1034;

  /** {@code F_SEAL_SEAL}: no further seals may be added. */
  static final int F_SEAL_SEAL = 0x1;

  /** {@code F_SEAL_SHRINK}: the file may not shrink. */
  static final int F_SEAL_SHRINK = 0x2;

  /** {@code F_SEAL_GROW}: the file may not grow. */
  static final int F_SEAL_GROW = 0x4;

  /** {@code F_SEAL_WRITE}: the file's contents may not change. */
  static final int F_SEAL_WRITE = 0x8;

  /** {@code _SC_PAGESIZE} for {@code sysconf} (glibc and musl). */
  static final int SC_PAGESIZE = 30;

  /** What {@code mmap} returns on failure: {@code (void *) -1}. */
  private static final long MAP_FAILED = -1L;

  /** The calls that may add a mapping, or split one in two. */
  private static final Set<String> SPLITTING_CALLS = Set.of("mmap", "mprotect", "pkey_mprotect");

  private static final Linker LINKER = Linker.nativeLinker();
  private static final SymbolLookup LIBC = LINKER.defaultLookup();

  /** The layout of the state a call captures; only {@code errno} is read. */
  private static final StructLayout CALL_STATE_LAYOUT = Linker.Option.captureStateLayout();

  private static final VarHandle ERRNO =
      CALL_STATE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

  private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

  /**
   * Per-thread storage for the captured {@code errno}: one segment per thread, never shared, freed
   * by the garbage collector with its thread.
   */
  private static final ThreadLocal<@Nullable MemorySegment> CALL_STATE =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE_LAYOUT));

  private static final MethodHandle MH$mmap = lookupMmap();
  private static final MethodHandle MH$munmap = lookupMunmap();
  private static final MethodHandle MH$mprotect = lookupMprotect();
  private static final MethodHandle MH$madvise = lookupMadvise();
  private static final MethodHandle MH$memfd_create = lookupMemfdCreate();
  private static final MethodHandle MH$ftruncate = lookupFtruncate();
  private static final MethodHandle MH$write = lookupWrite();
  private static final MethodHandle MH$fcntl = lookupFcntl();
  private static final MethodHandle MH$close = lookupClose();
  private static final MethodHandle MH$sysconf = lookupSysconf();
  private static final MethodHandle MH$open = lookupOpen();
  private static final MethodHandle MH$ioctl = lookupIoctl();

  private LibC() {}

  // ---- lookups: one per function, each with its C prototype ----

  /** {@code void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)}. */
  private static MethodHandle lookupMmap() {
    return findFunction(
        "mmap",
        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
  }

  /** {@code int munmap(void *addr, size_t length)}. */
  private static MethodHandle lookupMunmap() {
    return findFunction("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
  }

  /** {@code int mprotect(void *addr, size_t len, int prot)}. */
  private static MethodHandle lookupMprotect() {
    return findFunction("mprotect", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  }

  /** {@code int madvise(void *addr, size_t length, int advice)}. */
  private static MethodHandle lookupMadvise() {
    return findFunction("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  }

  /** {@code int memfd_create(const char *name, unsigned int flags)} (glibc 2.27+). */
  private static MethodHandle lookupMemfdCreate() {
    return findFunction("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
  }

  /** {@code int ftruncate(int fd, off_t length)}. */
  private static MethodHandle lookupFtruncate() {
    return findFunction("ftruncate", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
  }

  /** {@code ssize_t write(int fd, const void *buf, size_t count)}. */
  private static MethodHandle lookupWrite() {
    return findFunction("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
  }

  /** {@code int fcntl(int fd, int cmd, ...)}, called with one {@code int} variadic argument. */
  private static MethodHandle lookupFcntl() {
    return findFunction(
        "fcntl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
        Linker.Option.firstVariadicArg(2));
  }

  /** {@code int close(int fd)}. */
  private static MethodHandle lookupClose() {
    return findFunction("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  }

  /** {@code long sysconf(int name)}. */
  private static MethodHandle lookupSysconf() {
    return findFunction("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
  }

  /** {@code int open(const char *pathname, int flags, ...)}, called without a mode. */
  private static MethodHandle lookupOpen() {
    return findFunction(
        "open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
  }

  /** {@code int ioctl(int fd, unsigned long request, ...)}, called with one pointer argument. */
  private static MethodHandle lookupIoctl() {
    return findFunction(
        "ioctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
        Linker.Option.firstVariadicArg(2));
  }

  /**
   * Binds a C library function; the handle takes the call-state segment as its first argument.
   *
   * @param name the symbol
   * @param descriptor its C prototype
   * @param options further linker options (variadic arguments)
   * @return the handle
   * @throws java.util.NoSuchElementException if the C library lacks the symbol
   */
  static MethodHandle findFunction(
      String name, FunctionDescriptor descriptor, Linker.Option... options) {
    Linker.Option[] all = new Linker.Option[options.length + 1];
    all[0] = CAPTURE_ERRNO;
    System.arraycopy(options, 0, all, 1, options.length);
    MemorySegment symbol =
        LIBC.find(name)
            .orElseThrow(
                () ->
                    new java.util.NoSuchElementException(
                        "the C library has no function " + name));
    return LINKER.downcallHandle(symbol, descriptor, all);
  }

  /**
   * This thread's call-state segment, passed as the first argument of every handle.
   *
   * @return the segment, owned by the calling thread
   */
  static MemorySegment callState() {
    MemorySegment state = CALL_STATE.get();
    if (state == null) {
      throw new IllegalStateException("no call state for " + Thread.currentThread());
    }
    return state;
  }

  /**
   * The {@code errno} the last call on this thread captured.
   *
   * @param state the thread's call-state segment
   * @return the error number
   */
  static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  /**
   * A view of native memory this backend mapped, global in scope: its lifetime is managed by the
   * reservation or image that mapped it.
   *
   * @param address the start
   * @param byteSize the size
   * @return the view
   */
  static MemorySegment memoryAt(long address, long byteSize) {
    return MemorySegment.ofAddress(address).reinterpret(byteSize);
  }

  // ---- calls ----

  /**
   * {@code mmap}.
   *
   * @return the mapping's address
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
    MemorySegment state = callState();
    MemorySegment result;
    try {
      result =
          (MemorySegment)
              MH$mmap.invokeExact(
                  state, MemorySegment.ofAddress(addr), length, prot, flags, fd, offset);
    } catch (Throwable t) {
      throw unexpected("mmap", t);
    }
    if (result.address() == MAP_FAILED) {
      throw failure(
          "mmap",
          String.format(
              Locale.ROOT,
              "addr=0x%x, length=%s, prot=%s, flags=%s, fd=%d, offset=%s",
              addr,
              ByteCount.of(length),
              protName(prot),
              mapFlagsName(flags),
              fd,
              ByteCount.of(offset)),
          errno(state));
    }
    return result.address();
  }

  /**
   * {@code munmap}.
   *
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static void munmap(long addr, long length) {
    MemorySegment state = callState();
    int r;
    try {
      r = (int) MH$munmap.invokeExact(state, MemorySegment.ofAddress(addr), length);
    } catch (Throwable t) {
      throw unexpected("munmap", t);
    }
    if (r != 0) {
      throw failure("munmap", rangeArgs(addr, length), errno(state));
    }
  }

  /**
   * {@code mprotect}.
   *
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static void mprotect(long addr, long length, int prot) {
    MemorySegment state = callState();
    int r;
    try {
      r = (int) MH$mprotect.invokeExact(state, MemorySegment.ofAddress(addr), length, prot);
    } catch (Throwable t) {
      throw unexpected("mprotect", t);
    }
    if (r != 0) {
      throw failure(
          "mprotect", rangeArgs(addr, length) + ", prot=" + protName(prot), errno(state));
    }
  }

  /**
   * {@code madvise}.
   *
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static void madvise(long addr, long length, int advice) {
    MemorySegment state = callState();
    int r;
    try {
      r = (int) MH$madvise.invokeExact(state, MemorySegment.ofAddress(addr), length, advice);
    } catch (Throwable t) {
      throw unexpected("madvise", t);
    }
    if (r != 0) {
      throw failure(
          "madvise",
          rangeArgs(addr, length)
              + ", advice="
              + (advice == MADV_DONTNEED ? "MADV_DONTNEED" : Integer.toString(advice)),
          errno(state));
    }
  }

  /**
   * {@code memfd_create}.
   *
   * @return the new file descriptor
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static int memfdCreate(String name, int flags) {
    MemorySegment state = callState();
    int fd;
    try (Arena arena = Arena.ofConfined()) {
      fd = (int) MH$memfd_create.invokeExact(state, arena.allocateFrom(name), flags);
    } catch (Throwable t) {
      throw unexpected("memfd_create", t);
    }
    if (fd < 0) {
      throw failure(
          "memfd_create", "name=\"" + name + "\", flags=0x" + Integer.toHexString(flags),
          errno(state));
    }
    return fd;
  }

  /**
   * {@code ftruncate}.
   *
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static void ftruncate(int fd, long length) {
    MemorySegment state = callState();
    int r;
    try {
      r = (int) MH$ftruncate.invokeExact(state, fd, length);
    } catch (Throwable t) {
      throw unexpected("ftruncate", t);
    }
    if (r != 0) {
      throw failure(
          "ftruncate", String.format(Locale.ROOT, "fd=%d, length=%s", fd, ByteCount.of(length)), errno(state));
    }
  }

  /**
   * Writes all of {@code bytes} with {@code write}, repeating after short writes and {@code EINTR}.
   *
   * @param fd the file
   * @param bytes native memory to write
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static void writeFully(int fd, MemorySegment bytes) {
    MemorySegment state = callState();
    long done = 0;
    long total = bytes.byteSize();
    while (done < total) {
      long n;
      try {
        n = (long) MH$write.invokeExact(state, fd, bytes.asSlice(done), total - done);
      } catch (Throwable t) {
        throw unexpected("write", t);
      }
      if (n < 0) {
        int errno = errno(state);
        if (errno == Errno.EINTR) {
          continue;
        }
        throw failure(
            "write",
            String.format(
                Locale.ROOT,
                "fd=%d, count=%s, written=%s",
                fd,
                ByteCount.of(total - done),
                ByteCount.of(done)),
            errno);
      }
      done += n;
    }
  }

  /**
   * {@code fcntl} with one {@code int} argument.
   *
   * @return the call's non-negative result
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static int fcntl(int fd, int cmd, int arg) {
    MemorySegment state = callState();
    int r;
    try {
      r = (int) MH$fcntl.invokeExact(state, fd, cmd, arg);
    } catch (Throwable t) {
      throw unexpected("fcntl", t);
    }
    if (r < 0) {
      throw failure(
          "fcntl",
          String.format(Locale.ROOT, "fd=%d, cmd=%d, arg=0x%x", fd, cmd, arg),
          errno(state));
    }
    return r;
  }

  /**
   * {@code close}. {@code EINTR} is not retried: on Linux the descriptor is released anyway.
   *
   * @throws BackendException with {@code errno} if the kernel reports an error
   */
  static void close(int fd) {
    MemorySegment state = callState();
    int r;
    try {
      r = (int) MH$close.invokeExact(state, fd);
    } catch (Throwable t) {
      throw unexpected("close", t);
    }
    if (r != 0) {
      throw failure("close", "fd=" + fd, errno(state));
    }
  }

  /**
   * {@code open} without a mode (no {@code O_CREAT}).
   *
   * @return the new file descriptor
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static int open(String path, int flags) {
    MemorySegment state = callState();
    int fd;
    try (Arena arena = Arena.ofConfined()) {
      fd = (int) MH$open.invokeExact(state, arena.allocateFrom(path), flags);
    } catch (Throwable t) {
      throw unexpected("open", t);
    }
    if (fd < 0) {
      throw failure(
          "open", "pathname=\"" + path + "\", flags=0x" + Integer.toHexString(flags), errno(state));
    }
    return fd;
  }

  /**
   * {@code ioctl} with one pointer argument.
   *
   * @return the call's non-negative result
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static int ioctl(int fd, long request, MemorySegment argument) {
    MemorySegment state = callState();
    int r;
    try {
      r = (int) MH$ioctl.invokeExact(state, fd, request, argument);
    } catch (Throwable t) {
      throw unexpected("ioctl", t);
    }
    if (r < 0) {
      throw failure(
          "ioctl",
          String.format(
              Locale.ROOT, "fd=%d, request=0x%x, argp=0x%x", fd, request, argument.address()),
          errno(state));
    }
    return r;
  }

  /**
   * The page size, from {@code sysconf(_SC_PAGESIZE)}.
   *
   * @return the size in bytes
   * @throws BackendException if {@code sysconf} fails
   */
  static long pageSize() {
    MemorySegment state = callState();
    long r;
    try {
      r = (long) MH$sysconf.invokeExact(state, SC_PAGESIZE);
    } catch (Throwable t) {
      throw unexpected("sysconf", t);
    }
    if (r <= 0) {
      throw failure("sysconf", "name=_SC_PAGESIZE", errno(state));
    }
    return r;
  }

  // ---- errors ----

  /**
   * The exception of a failed call.
   *
   * @param operation the function
   * @param arguments its arguments, formatted
   * @param errno the captured error number
   * @return the exception to throw
   */
  static BackendException failure(String operation, String arguments, int errno) {
    String text = Errno.text(errno);
    if (errno == Errno.ENOMEM && SPLITTING_CALLS.contains(operation)) {
      // The kernel says the same when a new or split mapping would exceed the process's limit.
      text += ", or the process reached its vm.max_map_count mappings";
    }
    return new BackendException(operation, arguments, errno, Errno.name(errno), text);
  }

  /**
   * Wraps what a downcall handle threw besides a C error: a bug in the binding, never expected.
   *
   * @param operation the function
   * @param t what was thrown
   * @return the error to throw
   */
  static RuntimeException unexpected(String operation, Throwable t) {
    if (t instanceof RuntimeException e) {
      return e;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException("calling " + operation + " failed", t);
  }

  private static String rangeArgs(long addr, long length) {
    return String.format(Locale.ROOT, "addr=0x%x, length=%s", addr, ByteCount.of(length));
  }

  /**
   * Names the bits of a protection, for messages.
   *
   * @param prot the {@code PROT_*} bits
   * @return for example {@code "PROT_READ|PROT_WRITE"}
   */
  static String protName(int prot) {
    if (prot == PROT_NONE) {
      return "PROT_NONE";
    }
    StringBuilder sb = new StringBuilder();
    int rest = prot;
    rest = appendFlag(sb, rest, PROT_READ, "PROT_READ");
    rest = appendFlag(sb, rest, PROT_WRITE, "PROT_WRITE");
    return finishFlags(sb, rest);
  }

  /**
   * Names the bits of {@code mmap} flags, for messages.
   *
   * @param flags the {@code MAP_*} bits
   * @return for example {@code "MAP_PRIVATE|MAP_ANONYMOUS"}
   */
  static String mapFlagsName(int flags) {
    StringBuilder sb = new StringBuilder();
    int rest = flags;
    rest = appendFlag(sb, rest, MAP_SHARED, "MAP_SHARED");
    rest = appendFlag(sb, rest, MAP_PRIVATE, "MAP_PRIVATE");
    rest = appendFlag(sb, rest, MAP_FIXED, "MAP_FIXED");
    rest = appendFlag(sb, rest, MAP_ANONYMOUS, "MAP_ANONYMOUS");
    rest = appendFlag(sb, rest, MAP_NORESERVE, "MAP_NORESERVE");
    return finishFlags(sb, rest);
  }

  private static int appendFlag(StringBuilder sb, int bits, int flag, String name) {
    if ((bits & flag) == 0) {
      return bits;
    }
    sb.append(sb.isEmpty() ? "" : "|").append(name);
    return bits & ~flag;
  }

  private static String finishFlags(StringBuilder sb, int rest) {
    if (rest != 0 || sb.isEmpty()) {
      sb.append(sb.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(rest));
    }
    return sb.toString();
  }
}
