package dev.wasmpool.probe;

import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.ModuleDescriptor;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.binding.PooledModule;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Run in a child JVM by {@code BackendDecisionTest}: makes two engines one after the other, each
 * writing to one instance's memory (the engine's first restricted call), and prints each one's
 * backend and whether the linux backend's module may call native code after it. In a package of
 * its own so that it can run from the class path beside wasmpool's modules on the module path.
 */
public final class TwoEngines {

  private TwoEngines() {}

  public static void main(String[] args) throws ClassNotFoundException {
    long page = MemoryType.PAGE_SIZE;
    EngineConfig config =
        EngineConfig.builder()
            .memoryReservation(2 * page)
            .memoryGuardSize(0)
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder()
                        .totalMemories(1)
                        .totalTables(1)
                        .totalCoreInstances(1)
                        .maxMemorySize(2 * page)
                        .build()))
            .build();
    ModuleDescriptor module =
        new ModuleDescriptor(
            "probe", List.of(new MemoryType(1, OptionalLong.of(1), false)), List.of(), List.of(), Map.of());
    Module linux = Class.forName("dev.wasmpool.linux.LinuxBackendProvider").getModule();
    for (int i = 1; i <= 2; i++) {
      try (Engine engine = Engine.create(config);
          PooledModule registered = engine.register(module);
          InstanceAllocation instance = registered.allocate()) {
        instance.memories().get(0).segment().set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        System.out.println("engine " + i + " backend=" + engine.backendName());
      }
      System.out.println("after engine " + i + " linux native access=" + linux.isNativeAccessEnabled());
    }
  }
}
