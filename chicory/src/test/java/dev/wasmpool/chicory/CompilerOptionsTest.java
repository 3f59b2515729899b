package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.compiler.Cache;
import com.dylibso.chicory.compiler.InterpreterFallback;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code withCompiler(options)} hands Chicory's compiler options through. */
class CompilerOptionsTest {

  private static final int[] I32_I32 = {WasmBuilder.I32, WasmBuilder.I32};
  private static final int[] I32 = {WasmBuilder.I32};

  /** {@code add(a, b)} and {@code store_load(addr, v)}, over one page. */
  private static WasmModule module() {
    WasmBuilder b = new WasmBuilder().memory(1, -1);
    int binary = b.type(I32_I32, I32);
    b.exportFunction("add", b.function(binary, new Code().localGet(0).localGet(1).op(0x6a)));
    b.exportFunction(
        "store_load",
        b.function(
            binary,
            new Code().localGet(0).localGet(1).i32Store(0).localGet(0).i32Load(0)));
    return b.parse();
  }

  /** A cache in memory that counts hits and stores. */
  private static final class CountingCache implements Cache {
    final Map<String, byte[]> entries = new ConcurrentHashMap<>();
    final AtomicInteger hits = new AtomicInteger();

    @Override
    public byte[] get(String key) {
      byte[] found = entries.get(key);
      if (found != null) {
        hits.incrementAndGet();
      }
      return found;
    }

    @Override
    public void putIfAbsent(String key, byte[] data) {
      entries.putIfAbsent(key, data);
    }
  }

  @Test
  void withCompiler_cache_isFilledOnce_andReusedByTheNextLoad() {
    CountingCache cache = new CountingCache();
    WasmModule wasm = module();
    try (Engine engine = Pools.engine("portable", p -> p.totalMemories(2))) {
      for (int load = 0; load < 2; load++) {
        try (PooledWasmModule module =
                PooledWasmModule.builder(engine, wasm).withCompiler(b -> b.withCache(cache)).build();
            PooledInstance instance = module.instantiate()) {
          assertEquals(5, instance.export("add").apply(2, 3)[0]);
          assertEquals(77, instance.export("store_load").apply(16, 77)[0]);
        }
        assertTrue(!cache.entries.isEmpty(), "the compiled classes went into the cache");
      }
      assertTrue(cache.hits.get() > 0, "the second load took the compiled classes from the cache");
    }
  }

  @Test
  void withCompiler_interpretedFunctions_runOnTheInterpreter_withTheSameResults() {
    try (Engine engine = Pools.engine("portable");
        PooledWasmModule module =
            PooledWasmModule.builder(engine, module())
                .withCompiler(
                    b -> b.withInterpreterFallback(InterpreterFallback.FAIL).withInterpretedFunctions(Set.of(1)))
                .build();
        PooledInstance instance = module.instantiate()) {
      assertEquals(5, instance.export("add").apply(2, 3)[0]);
      assertEquals(77, instance.export("store_load").apply(16, 77)[0], "interpreted, on pooled memory");
      assertEquals(77, instance.memory().readInt(16));
    }
  }
  /** {@code load(addr)} over one page whose byte 8 is 42 (an active segment no instruction names). */
  private static WasmModule moduleWithData() {
    WasmBuilder b = new WasmBuilder().memory(1, -1);
    b.exportFunction("load", b.function(b.type(I32, I32), new Code().localGet(0).i32Load8U(0)));
    b.activeData(8, new byte[] {42});
    return b.parse();
  }

  @Test
  void machineBoundToTheLoadedModule_runsFromTheBuilder_andIsNamedWhenGivenPerInstance() {
    WasmModule wasm = moduleWithData();
    java.util.function.Function<com.dylibso.chicory.runtime.Instance, com.dylibso.chicory.runtime.Machine> bound =
        com.dylibso.chicory.compiler.MachineFactoryCompiler.compile(wasm);
    try (Engine engine = Pools.engine("portable")) {
      try (PooledWasmModule module = PooledWasmModule.builder(engine, wasm).withMachineFactory(bound).build();
          PooledInstance instance = module.instantiate()) {
        assertEquals(42, instance.export("load").apply(8)[0]);
        assertTrue(instance.instance().module() == wasm, "built from the loaded module itself");
      }
      try (PooledWasmModule module = PooledWasmModule.load(engine, wasm)) {
        IllegalStateException e =
            org.junit.jupiter.api.Assertions.assertThrows(
                IllegalStateException.class, () -> module.instantiate(b -> b.withMachineFactory(bound)));
        assertTrue(e.getMessage().contains("PooledWasmModule.Builder.withMachineFactory"), e.getMessage());
        try (PooledInstance instance =
            module.instantiate(b -> b.withMachineFactory(com.dylibso.chicory.compiler.MachineFactoryCompiler::compile))) {
          assertEquals(42, instance.export("load").apply(8)[0], "a machine compiled from instance.module()");
        }
      }
    }
  }
}
