package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import dev.wasmpool.api.ModuleValidationException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reproducers of the defects an adversarial run found (issue 12), run through the Chicory binding
 * on every backend. Each test is named after what it guards.
 */
class AdversarialRegressionTest {

  static List<String> backends() {
    return Pools.backends();
  }

  /* ---- copy-on-write images ---- */

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void memoryInitCow_emptyDataSegmentBeforeTheData_instantiates(String backend) {
    // (module (memory 2) (data (i32.const 100) "x") (data (i32.const 0) ""))
    WasmModule module =
        new WasmBuilder()
            .memory(2, -1)
            .activeData(100, new byte[] {'x'})
            .activeData(0, new byte[0])
            .parse();
    try (Engine engine = Pools.engine(backend, p -> p.maxMemorySize(2 * PAGE), e -> e.memoryReservation(2 * PAGE));
        PooledWasmModule pooled = PooledWasmModule.load(engine, module)) {
      assertTrue(pooled.pooledModule().hasImage(0), "the memory is served by an image");
      for (int round = 0; round < 2; round++) {
        try (PooledInstance instance = pooled.instantiate()) {
          Memory memory = instance.memory();
          assertEquals('x', memory.read(100));
          assertEquals(0, memory.read(99));
          assertEquals(0, memory.read(0));
        }
      }
    }
  }

  /* ---- load-time limits ---- */

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void load_memoryMinimumAboveChicorysLimit_rejectedNamingTheLimit(String backend) {
    // (memory 40000) used to load; fill/copy/write then trapped with a negative limit (pages << 16
    // overflowed an int), and the portable backend allocated gigabytes up front.
    long fourGiB = 65536 * PAGE;
    try (Engine engine =
        Pools.engine(backend, p -> p.maxMemorySize(fourGiB), e -> e.memoryReservation(fourGiB))) {
      for (int pages : new int[] {32768, 40000}) {
        ModuleValidationException e =
            assertThrows(
                ModuleValidationException.class,
                () -> PooledWasmModule.load(engine, new WasmBuilder().memory(pages, -1).parse()));
        assertEquals(
            "memory has a minimum of "
                + pages
                + " pages which exceeds Chicory's limit of 32767 pages (Memory.RUNTIME_MAX_PAGES)",
            e.rootReason());
        assertEquals(0, engine.metrics().memories());
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void load_totalMemoriesZero_moduleWithMemoryRejected(String backend) {
    // The module used to load, and every instantiation failed on a pool that could never free up.
    try (Engine engine = Pools.engine(backend, p -> p.totalMemories(0))) {
      ModuleValidationException e =
          assertThrows(
              ModuleValidationException.class,
              () -> PooledWasmModule.load(engine, new WasmBuilder().memory(1, -1).parse()));
      assertEquals("defined memories count of 1 exceeds the total memories limit of 0", e.rootReason());
      try (PooledWasmModule noMemory = PooledWasmModule.load(engine, new WasmBuilder().parse());
          PooledInstance instance = noMemory.instantiate()) {
        assertEquals(1, engine.metrics().coreInstances());
      }
    }
  }

  /* ---- Engine.close under a running instance ---- */

  @ParameterizedTest
  @MethodSource("backends")
  void engineClose_instanceLiveOnAnotherThread_itsMemoryAccessesFail(String backend) throws Exception {
    // Issue 12 item 4: after Engine.close the owner thread still read and wrote its memory.
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    int unary = b.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    int store = b.type(new int[] {WasmBuilder.I32, WasmBuilder.I32}, new int[0]);
    b.exportFunction("load", b.function(unary, new Code().localGet(0).i32Load(0)));
    b.exportFunction("store", b.function(store, new Code().localGet(0).localGet(1).i32Store(0)));
    Engine engine = Pools.engine(backend);
    PooledWasmModule module = PooledWasmModule.load(engine, b.parse());
    CountDownLatch instantiated = new CountDownLatch(1);
    CountDownLatch engineClosed = new CountDownLatch(1);
    CompletableFuture<Throwable> outcome = new CompletableFuture<>();
    Thread owner =
        new Thread(
            () -> {
              try {
                PooledInstance instance = module.instantiate();
                instance.export("store").apply(0, 42);
                instantiated.countDown();
                engineClosed.await();
                try {
                  instance.export("load").apply(0);
                  outcome.completeExceptionally(new AssertionError("the load after Engine.close succeeded"));
                } catch (Throwable e) {
                  outcome.complete(e);
                }
              } catch (Throwable e) {
                // Also an error the JVM raised a little after the access.
                outcome.complete(e);
              }
            });
    owner.start();
    assertTrue(instantiated.await(30, TimeUnit.SECONDS));
    engine.close();
    engineClosed.countDown();
    owner.join();
    Throwable failure = outcome.get();
    // The binding's memories are cut loose by the close (IllegalStateException, every backend);
    // on Linux the slot is revoked as well, so a raw access would fault (InternalError).
    Throwable cause = failure;
    while (cause != null && !(cause instanceof InternalError) && !(cause instanceof IllegalStateException)) {
      cause = cause.getCause();
    }
    assertNotNull(cause, () -> "the load failed otherwise: " + failure);
  }
}
