package dev.wasmpool.chicory;

import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.MemoryProtectionKeys;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Run in a child JVM by {@code MpkHardwareTest}: two instances on different stripes; reads the
 * second instance's slot raw, in native code ({@code strnlen} of its first byte, past every Java
 * check: only the CPU's remains, and the JVM cannot turn a fault there into an exception), either
 * with host rights ({@code host}: prints the result and exits 0) or with the first instance's
 * guest rights ({@code guest}: the CPU must kill the JVM with SIGSEGV, si_code SEGV_PKUERR).
 */
final class MpkFaultProbe {

  private MpkFaultProbe() {}

  /** {@code strnlen(segment, 1)}: reads the segment's first byte in native code. */
  private static long nativeLength(MemorySegment segment) {
    Linker linker = Linker.nativeLinker();
    MethodHandle strnlen =
        linker.downcallHandle(
            linker.defaultLookup().find("strnlen").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    try {
      return (long) strnlen.invokeExact(segment, 1L);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  public static void main(String[] args) {
    boolean guest = args.length == 1 && args[0].equals("guest");
    WasmModule module = MpkHardwareTest.storeModule();
    try (Engine engine = MpkHardwareTest.stripedEngine(MemoryProtectionKeys.ENABLE);
        PooledWasmModule loaded = PooledWasmModule.load(engine, module);
        PooledInstance a = loaded.instantiate();
        PooledInstance b = loaded.instantiate()) {
      GuestRights rights = a.allocation().guestRights();
      if (rights.guestRegister() == b.allocation().guestRights().guestRegister()) {
        throw new IllegalStateException("both instances on one stripe: " + rights);
      }
      b.export("store").apply(0, 0x5A);
      MemorySegment other = b.allocation().memories().get(0).segment();
      System.out.println("probe: " + (guest ? "guest" : "host") + " rights " + rights + " reading " + b);
      System.out.flush();
      int previous = guest ? rights.enterGuest() : rights.enterHost();
      long length = nativeLength(other);
      rights.leave(previous);
      System.out.println("probe: read " + length + " byte(s) natively, then 0x" + Integer.toHexString(other.get(ValueLayout.JAVA_BYTE, 0) & 0xff));
    }
  }
}
