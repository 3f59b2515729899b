package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import dev.wasmpool.api.binding.GuestRights;
import java.util.function.Function;

/**
 * The machine of an instance whose pool uses protection keys: every call into guest code (an
 * export, the start function, a call from another instance through a table or an import) runs
 * with the instance's {@link GuestRights} (widened by the keys of pooled memories it imports), and
 * the caller's rights come back however the call ends (return, trap, any exception).
 *
 * <p>Installed only when {@link GuestRights#restricts()}: without protection keys an instance keeps
 * the machine it was given, with no switch and no extra call.
 *
 * <p>Thread-safe as the machine it wraps; the rights register is per thread.
 */
final class GuestMachine implements Machine {

  private final Machine machine;
  private final GuestRights rights;

  private GuestMachine(Machine machine, GuestRights rights) {
    this.machine = machine;
    this.rights = rights;
  }

  /**
   * A machine factory whose machines switch to {@code rights} around guest code.
   *
   * <p>The factory also refuses, before any guest code runs, an instance with a host function
   * that would run with guest rights: one handed to Chicory directly rather than through {@link
   * HostFunctions#withHostRights}.
   *
   * @param machines the machine factory to wrap
   * @param rights the instance's rights
   * @return the wrapping factory
   */
  static Function<Instance, Machine> factory(Function<Instance, Machine> machines, GuestRights rights) {
    return instance -> {
      for (ImportFunction function : instance.imports().functions()) {
        if (!HostFunctions.hasHostRights(function)) {
          throw new IllegalStateException(
              "the engine uses memoryProtectionKeys, so host functions must run with the host's rights:"
                  + " pass the imports to PooledWasmModule.instantiate(ImportValues, ...), not to"
                  + " Instance.Builder.withImportValues (import "
                  + function.module()
                  + "."
                  + function.name()
                  + ")");
        }
      }
      // Imported pooled memories may sit on other stripes: guest code needs their keys too.
      GuestRights effective = rights;
      for (ImportMemory memory : instance.imports().memories()) {
        if (memory.memory() instanceof PooledMemory pooled) {
          effective = effective.union(pooled.guestRights());
        }
      }
      return new GuestMachine(machines.apply(instance), effective);
    };
  }

  /**
   * Whether an instance runs on a switching machine.
   *
   * @param instance the instance
   * @return {@code true} if its machine is a {@code GuestMachine}
   */
  static boolean switches(Instance instance) {
    return instance.getMachine() instanceof GuestMachine;
  }

  @Override
  public long[] call(int funcId, long[] args) throws ChicoryException {
    int previous = rights.enterGuest();
    try {
      return machine.call(funcId, args);
    } finally {
      rights.leave(previous);
    }
  }
}
