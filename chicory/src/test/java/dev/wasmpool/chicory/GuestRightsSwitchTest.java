package dev.wasmpool.chicory;

import static dev.wasmpool.testkit.WasmBuilder.I32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.ProtectionKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;

/**
 * The rights sequence of the binding's switch ({@link GuestMachine}, {@link HostFunctions}) on a
 * recording rights register: enter guest, host call, return, trap, nested instances, threads that
 * start with keys denied. Runs on any CPU; {@code MpkHardwareTest} covers real PKU.
 */
class GuestRightsSwitchTest {

  /** Guest rights of key 2: keys 0 and 2 allowed. */
  private static final int GUEST_2 = 0xFFFF_FFFC & ~(0b11 << 4);

  /** Guest rights of key 3. */
  private static final int GUEST_3 = 0xFFFF_FFFC & ~(0b11 << 6);

  /** What Linux gives a new thread: keys 1-15 access-disabled. */
  private static final int LINUX_INITIAL = 0x5555_5554;

  /** A per-thread register that records every write. */
  private static final class Register implements ProtectionKeys {
    final List<Integer> writes = new ArrayList<>();
    final ThreadLocal<Integer> value = ThreadLocal.withInitial(() -> 0);

    @Override
    public List<ProtectionKey> allocate(int max) {
      return List.of();
    }

    @Override
    public synchronized void setRights(int pkru) {
      writes.add(pkru);
      value.set(pkru);
    }

    @Override
    public int rights() {
      return value.get();
    }

    synchronized List<Integer> writes() {
      return List.copyOf(writes);
    }
  }

  private final Register register = new Register();
  private final GuestRights rights2 = GuestRights.of(register, new ProtectionKey(2));
  private final GuestRights rights3 = GuestRights.of(register, new ProtectionKey(3));

  /** Exports {@code plain} (7), {@code trap} (unreachable) and {@code run} (calls host.cb). */
  private static WasmModule module() {
    WasmBuilder b = new WasmBuilder();
    int unit = b.type(new int[0], new int[] {I32});
    int cb = b.importFunction("host", "cb", unit);
    b.exportFunction("plain", b.function(unit, new Code().i32Const(7)));
    b.exportFunction("trap", b.function(unit, new Code().unreachable().i32Const(0)));
    b.exportFunction("run", b.function(unit, new Code().call(cb)));
    return b.parse();
  }

  private static ImportFunction callback(IntSupplier body) {
    return new HostFunction(
        "host", "cb", FunctionType.of(List.of(), List.of(ValType.I32)), (inst, args) -> new long[] {body.getAsInt()});
  }

  private Instance instance(GuestRights rights, ImportFunction cb) {
    return Instance.builder(module())
        .withMachineFactory(GuestMachine.factory(InterpreterMachine::new, rights))
        .withImportValues(HostFunctions.withHostRights(ImportValues.builder().addFunction(cb).build(), rights))
        .build();
  }

  @Test
  void exportCall_entersGuestRights_andReturnsToHostRights() {
    Instance a = instance(rights2, callback(() -> 0));
    assertArrayEquals(new long[] {7}, a.export("plain").apply());
    assertEquals(List.of(GUEST_2, 0), register.writes());
    assertEquals(0, register.rights());
  }

  @Test
  void hostCall_fromGuest_runsWithHostRights_thenGuestRightsAgain() {
    List<Integer> seenByHost = new ArrayList<>();
    Instance a = instance(rights2, callback(() -> {
      seenByHost.add(register.rights());
      return 5;
    }));
    assertArrayEquals(new long[] {5}, a.export("run").apply());
    assertEquals(List.of(0), seenByHost, "the host function runs with every key allowed");
    assertEquals(List.of(GUEST_2, 0, GUEST_2, 0), register.writes());
  }

  @Test
  void trap_restoresHostRights() {
    Instance a = instance(rights2, callback(() -> 0));
    assertThrows(ChicoryException.class, () -> a.export("trap").apply());
    assertEquals(List.of(GUEST_2, 0), register.writes());
    assertEquals(0, register.rights());
  }

  @Test
  void hostFunctionThrowing_restoresGuestRights_thenHostRights() {
    Instance a = instance(rights2, callback(() -> {
      throw new IllegalArgumentException("host failure");
    }));
    assertThrows(IllegalArgumentException.class, () -> a.export("run").apply());
    assertEquals(List.of(GUEST_2, 0, GUEST_2, 0), register.writes());
    assertEquals(0, register.rights());
  }

  @Test
  void nestedInstances_eachRunsWithItsOwnKey_andTheCallerGetsItsRightsBack() {
    Instance b = instance(rights3, callback(() -> 0));
    List<Integer> seenInA = new ArrayList<>();
    // A's host function calls B's export (as a host function copying between two memories would
    // touch both), then A's guest code continues.
    Instance a = instance(rights2, callback(() -> {
      seenInA.add(register.rights());
      long r = b.export("plain").apply()[0];
      seenInA.add(register.rights());
      return (int) r;
    }));
    assertArrayEquals(new long[] {7}, a.export("run").apply());
    assertEquals(List.of(0, 0), seenInA, "host rights before and after the nested guest call");
    assertEquals(List.of(GUEST_2, 0, GUEST_3, 0, GUEST_2, 0), register.writes());
  }

  @Test
  void guestCallingAnotherInstanceDirectly_switchesToItsKey_andBackToTheCallersKey() {
    Instance b = instance(rights3, callback(() -> 0));
    // A imports B's export itself: the guest-to-guest call goes through B's machine.
    ImportFunction bPlain = ImportFunction.exportAsImport("host", "cb", b, "plain");
    Instance a = instance(rights2, bPlain);
    assertArrayEquals(new long[] {7}, a.export("run").apply());
    // A's guest, host rights for the import's handle, B's guest, host, A's guest, host.
    assertEquals(List.of(GUEST_2, 0, GUEST_3, 0, GUEST_2, 0), register.writes());
  }

  @Test
  void threadStartingWithKeysDenied_leavesGuestCodeWithEveryKeyAllowed() throws Exception {
    Instance a = instance(rights2, callback(() -> 0));
    AtomicReference<Integer> after = new AtomicReference<>();
    Thread t = new Thread(() -> {
      register.setRights(LINUX_INITIAL);
      a.export("plain").apply();
      after.set(register.rights());
    });
    t.start();
    t.join();
    assertEquals(0, after.get(), "host context allows every key, whatever the thread had before");
  }

  @Test
  void hostFunctionGivenToChicoryDirectly_isRefusedBeforeAnyGuestCodeRuns() {
    ImportValues raw = ImportValues.builder().addFunction(callback(() -> 0)).build();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                Instance.builder(module())
                    .withMachineFactory(GuestMachine.factory(InterpreterMachine::new, rights2))
                    .withImportValues(raw)
                    .build());
    assertTrue(e.getMessage().contains("memoryProtectionKeys"), e.getMessage());
    assertTrue(e.getMessage().contains("host.cb"), e.getMessage());
    assertEquals(List.of(), register.writes(), "no guest code ran");
  }

  @Test
  void instanceWithoutMemory_keyZeroOnly() {
    Instance a = instance(GuestRights.of(register, null), callback(() -> 0));
    a.export("plain").apply();
    assertEquals(List.of(0xFFFF_FFFC, 0), register.writes());
  }
}
