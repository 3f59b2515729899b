package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Instances used on other threads than the one that instantiated them. Pooled memories and tables
 * start on views confined to the instantiating thread (cheap to close); another thread's first
 * access switches them to the allocation's shared views, and a close on another thread never lets
 * the slot reach its next tenant while the instantiating thread could still reach it.
 */
class CrossThreadTest {

  private static final int[] NONE = {};
  private static final int[] I32 = {WasmBuilder.I32};
  private static final int[] I32_I32 = {WasmBuilder.I32, WasmBuilder.I32};

  static List<String> backends() {
    return Pools.backends();
  }

  /**
   * One page of memory and a table of two functions: {@code store(addr, v)}, {@code load(addr)},
   * and {@code pick(i)}, which calls table entry {@code i} ({@code one} or {@code two}).
   */
  private static WasmModule module() {
    WasmBuilder b = new WasmBuilder().memory(1, 1).table(2, 2);
    int unary = b.type(I32, I32);
    int nullary = b.type(NONE, I32);
    int store = b.type(I32_I32, NONE);
    b.exportFunction("store", b.function(store, new Code().localGet(0).localGet(1).i32Store(0)));
    b.exportFunction("load", b.function(unary, new Code().localGet(0).i32Load(0)));
    int one = b.function(nullary, new Code().i32Const(1));
    int two = b.function(nullary, new Code().i32Const(2));
    b.exportFunction("pick", b.function(unary, new Code().localGet(0).callIndirect(nullary, 0)));
    b.activeElements(0, one, two);
    return b.parse();
  }

  /** Runs {@code body} on a new thread and waits for it to end. */
  private static <T> T onAnotherThread(Callable<T> body) throws Exception {
    CompletableFuture<T> result = new CompletableFuture<>();
    Thread thread =
        new Thread(
            () -> {
              try {
                result.complete(body.call());
              } catch (Throwable e) {
                result.completeExceptionally(e);
              }
            });
    thread.start();
    thread.join();
    return result.get();
  }

  private static Engine engine(String backend) {
    return Pools.engine(backend, p -> p.totalCoreInstances(2));
  }

  @ParameterizedTest
  @MethodSource("backends")
  void runOnAnotherThread_switchesToSharedViews_closeOnOwnerKillsEveryHandle(String backend)
      throws Exception {
    try (Engine engine = engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      PooledInstance instance = module.instantiate();
      instance.export("store").apply(0, 41);
      Memory memory = instance.memory();
      TableInstance table = instance.instance().table(0);
      long[] seen =
          onAnotherThread(
              () -> {
                ExportFunction store = instance.export("store");
                store.apply(4, 7);
                return new long[] {
                  instance.export("load").apply(0)[0], instance.export("pick").apply(1)[0]
                };
              });
      assertEquals(41, seen[0]);
      assertEquals(2, seen[1]);
      assertEquals(7, instance.export("load").apply(4)[0], "the owner sees the other thread's store");
      assertEquals(1, instance.export("pick").apply(0)[0]);
      instance.close();
      assertThrows(IllegalStateException.class, () -> memory.readInt(0));
      assertThrows(IllegalStateException.class, () -> table.ref(0));
      onAnotherThread(() -> assertThrows(IllegalStateException.class, () -> memory.readInt(0)));
      assertEquals(0, engine.metrics().memories());
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void closeOnAnotherThread_slotFreedAtOnceUnderAFreshRange_nextTenantSeesNothing(
      String backend) throws Exception {
    try (Engine engine = engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      PooledInstance instance = module.instantiate();
      instance.export("store").apply(0, 0x5EC2E7);
      Memory memory = instance.memory();
      onAnotherThread(
          () -> {
            instance.close();
            assertThrows(IllegalStateException.class, () -> memory.readInt(0));
            return null;
          });
      // Every access after the close throws, on the instantiating thread too ...
      assertThrows(IllegalStateException.class, () -> memory.readInt(0));
      assertThrows(IllegalStateException.class, () -> memory.write(0, new byte[] {1}));
      assertThrows(IllegalStateException.class, () -> memory.fill((byte) 1, 0, 8));
      // ... and the slot is free at once, under a fresh range: this thread's confined views,
      // not closed yet, reach only the old one.
      assertEquals(0, engine.metrics().memories());
      try (PooledInstance next = module.instantiate()) {
        assertEquals(0, next.export("load").apply(0)[0]);
        assertThrows(IllegalStateException.class, () -> memory.readInt(0));
      }
      assertEquals(0, engine.metrics().memories());
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void instantiatedOnAnEndedThread_closedHere_slotBackAtOnce(String backend) throws Exception {
    try (Engine engine = engine(backend);
        PooledWasmModule module = PooledWasmModule.load(engine, module())) {
      PooledInstance instance =
          onAnotherThread(
              () -> {
                PooledInstance made = module.instantiate();
                made.export("store").apply(0, 99);
                return made;
              });
      assertEquals(99, instance.export("load").apply(0)[0], "usable after its thread ended");
      instance.close();
      assertEquals(0, engine.metrics().memories());
      try (PooledInstance next = module.instantiate()) {
        assertEquals(0, next.export("load").apply(0)[0]);
      }
    }
  }
}
