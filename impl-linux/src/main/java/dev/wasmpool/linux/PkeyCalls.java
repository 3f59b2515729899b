package dev.wasmpool.linux;

import dev.wasmpool.spi.support.ByteCount;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.wasmpool.spi.BackendException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The glibc protection key functions (glibc 2.27+), bound once, apart from {@link LibC} so that
 * they are looked up only on machines whose {@code /proc/cpuinfo} advertises keys.
 *
 * <p>{@code pkey_alloc}, {@code pkey_free} and {@code pkey_mprotect} are system calls that fail
 * cleanly without hardware support. {@code pkey_set} and {@code pkey_get} run the {@code
 * WRPKRU}/{@code RDPKRU} instructions, which kill the JVM with {@code SIGILL} on a CPU without PKU;
 * they refuse to run until {@link ProtectionKeyProbe} has proven support by a successful {@code
 * pkey_alloc} and called {@link #enableRightsRegister()}.
 */
final class PkeyCalls {

  private static final MethodHandle MH$pkey_alloc = lookupPkeyAlloc();
  private static final MethodHandle MH$pkey_free = lookupPkeyFree();
  private static final MethodHandle MH$pkey_mprotect = lookupPkeyMprotect();
  private static final MethodHandle MH$pkey_set = lookupPkeySet();
  private static final MethodHandle MH$pkey_get = lookupPkeyGet();

  /** Set once support is proven; until then the rights register is never touched. */
  private static volatile boolean rightsRegisterUsable;

  private PkeyCalls() {}

  /** {@code int pkey_alloc(unsigned int flags, unsigned int access_rights)}. */
  private static MethodHandle lookupPkeyAlloc() {
    return LibC.findFunction("pkey_alloc", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  }

  /** {@code int pkey_free(int pkey)}. */
  private static MethodHandle lookupPkeyFree() {
    return LibC.findFunction("pkey_free", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  }

  /** {@code int pkey_mprotect(void *addr, size_t len, int prot, int pkey)}. */
  private static MethodHandle lookupPkeyMprotect() {
    return LibC.findFunction(
        "pkey_mprotect", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT));
  }

  /** {@code int pkey_set(int key, unsigned int access_rights)}: writes PKRU. */
  private static MethodHandle lookupPkeySet() {
    return LibC.findFunction("pkey_set", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
  }

  /** {@code int pkey_get(int key)}: reads PKRU. */
  private static MethodHandle lookupPkeyGet() {
    return LibC.findFunction("pkey_get", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  }

  /** Allows {@link #set} and {@link #get}; called by the probe after a successful allocation. */
  static void enableRightsRegister() {
    rightsRegisterUsable = true;
  }

  /**
   * {@code pkey_alloc(0, 0)}: a new key with full rights for the calling thread.
   *
   * @return the key
   * @throws BackendException with {@code errno} ({@code ENOSPC} when no key is left or the CPU
   *     lacks keys)
   */
  static int alloc() {
    MemorySegment state = LibC.callState();
    int key;
    try {
      key = (int) MH$pkey_alloc.invokeExact(state, 0, 0);
    } catch (Throwable t) {
      throw LibC.unexpected("pkey_alloc", t);
    }
    if (key < 0) {
      throw LibC.failure("pkey_alloc", "flags=0, access_rights=0", LibC.errno(state));
    }
    return key;
  }

  /**
   * {@code pkey_free}.
   *
   * @param key the key to release
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static void free(int key) {
    MemorySegment state = LibC.callState();
    int r;
    try {
      r = (int) MH$pkey_free.invokeExact(state, key);
    } catch (Throwable t) {
      throw LibC.unexpected("pkey_free", t);
    }
    if (r != 0) {
      throw LibC.failure("pkey_free", "pkey=" + key, LibC.errno(state));
    }
  }

  /**
   * {@code pkey_mprotect}: sets protection and key of a range.
   *
   * @throws BackendException with {@code errno} if the kernel refuses
   */
  static void mprotect(long addr, long length, int prot, int key) {
    MemorySegment state = LibC.callState();
    int r;
    try {
      r =
          (int)
              MH$pkey_mprotect.invokeExact(state, MemorySegment.ofAddress(addr), length, prot, key);
    } catch (Throwable t) {
      throw LibC.unexpected("pkey_mprotect", t);
    }
    if (r != 0) {
      throw LibC.failure(
          "pkey_mprotect",
          String.format(
              Locale.ROOT,
              "addr=0x%x, length=%s, prot=%s, pkey=%d",
              addr,
              ByteCount.of(length),
              LibC.protName(prot),
              key),
          LibC.errno(state));
    }
  }

  /**
   * {@code pkey_set}: this thread's rights for one key.
   *
   * @param key the key, {@code 0..15}
   * @param rights bit 0 disables access, bit 1 disables writes
   * @throws BackendException if support was not proven, or with {@code errno}
   */
  static void set(int key, int rights) {
    requireRightsRegister("pkey_set", "key=" + key + ", access_rights=" + rights);
    MemorySegment state = LibC.callState();
    int r;
    try {
      r = (int) MH$pkey_set.invokeExact(state, key, rights);
    } catch (Throwable t) {
      throw LibC.unexpected("pkey_set", t);
    }
    if (r != 0) {
      throw LibC.failure("pkey_set", "key=" + key + ", access_rights=" + rights, LibC.errno(state));
    }
  }

  /**
   * {@code pkey_get}: this thread's rights for one key.
   *
   * @param key the key, {@code 0..15}
   * @return bit 0 set if access is disabled, bit 1 if writes are
   * @throws BackendException if support was not proven, or with {@code errno}
   */
  static int get(int key) {
    requireRightsRegister("pkey_get", "key=" + key);
    MemorySegment state = LibC.callState();
    int r;
    try {
      r = (int) MH$pkey_get.invokeExact(state, key);
    } catch (Throwable t) {
      throw LibC.unexpected("pkey_get", t);
    }
    if (r < 0) {
      throw LibC.failure("pkey_get", "key=" + key, LibC.errno(state));
    }
    return r;
  }

  private static void requireRightsRegister(String operation, String arguments) {
    if (!rightsRegisterUsable) {
      // Without proven support this instruction would be SIGILL, not an error code.
      throw new BackendException(
          operation, arguments, "protection keys are unsupported on this machine");
    }
  }
}
