package dev.wasmpool.api;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.MemoryType;
import dev.wasmpool.api.binding.PooledModule;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.internal.layout.MappingBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The owner thread of an allocation (the one that made it): its local views are confined to it,
 * and a close on another thread while it runs leaves the slots waiting for it, so that no view of a
 * tenant ever reaches the slot's next tenant. Runs on every backend this OS has.
 */
class OwnerThreadTest {

  private static final long PAGE = MemoryType.PAGE_SIZE;
  private static final long WAIT_SECONDS = 30;

  static Stream<String> backends() {
    return OS.LINUX.isCurrentOs() ? Stream.of("linux", "portable") : Stream.of("portable");
  }

  /** One memory slot and one table slot, so that a slot not given back shows as exhaustion. */
  private static Engine engine(String backend) {
    return Engine.create(
        EngineConfig.builder()
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder()
                        .totalMemories(1)
                        .totalTables(1)
                        .totalCoreInstances(2)
                        .maxMemorySize(4 * PAGE)
                        .tableElements(16)
                        .build()))
            .memoryReservation(4 * PAGE)
            .memoryGuardSize(PAGE)
            .backend(backend)
            .build());
  }

  private static String text(MemorySegment segment, int length) {
    byte[] bytes = new byte[length];
    MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, 0, bytes, 0, length);
    return new String(bytes, StandardCharsets.US_ASCII);
  }

  private static void write(MemorySegment segment, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
  }

  /** Runs {@code body} on a new thread and waits for it; its failure fails the test. */
  private static <T> T onAnotherThread(java.util.concurrent.Callable<T> body) throws Exception {
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

  @ParameterizedTest
  @MethodSource("backends")
  void ownerClose_localAndSharedViewsDie_slotBackAtOnce(String backend) {
    try (Engine engine = engine(backend)) {
      PooledModule module = engine.register(withMemoryAndTable("m", 1, 1, data(0, "image")));
      InstanceAllocation a = module.allocate();
      LinearMemory memory = a.memories().get(0);
      MemorySegment local = memory.localSegment();
      MemorySegment shared = memory.segment();
      MemorySegment localTable = a.tables().get(0).localElements();
      MemorySegment sharedTable = a.tables().get(0).elements();
      assertEquals("image", text(local, 5));
      write(local, "SECRET");
      assertEquals("SECRET", text(shared, 6), "both views show the same bytes");
      localTable.set(ValueLayout.JAVA_LONG, 0, 7L);
      assertEquals(7L, sharedTable.get(ValueLayout.JAVA_LONG, 0));
      a.close();
      assertThrows(IllegalStateException.class, () -> local.get(ValueLayout.JAVA_BYTE, 0));
      assertThrows(IllegalStateException.class, () -> shared.get(ValueLayout.JAVA_BYTE, 0));
      assertThrows(IllegalStateException.class, () -> localTable.get(ValueLayout.JAVA_LONG, 0));
      assertThrows(IllegalStateException.class, () -> sharedTable.get(ValueLayout.JAVA_LONG, 0));
      assertThrows(IllegalStateException.class, memory::localSegment);
      assertEquals(0, engine.metrics().memories(), "the slot is back");
      try (InstanceAllocation b = module.allocate()) {
        assertEquals("image", text(b.memories().get(0).localSegment(), 5));
        assertEquals(0, b.memories().get(0).localSegment().get(ValueLayout.JAVA_BYTE, 5));
        assertEquals(0L, b.tables().get(0).localElements().get(ValueLayout.JAVA_LONG, 0));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void localView_isConfinedToTheOwner_otherThreadsGetTheSharedView(String backend)
      throws Exception {
    try (Engine engine = engine(backend)) {
      PooledModule module = engine.register(withMemory("m", 1, -1));
      try (InstanceAllocation a = module.allocate()) {
        LinearMemory memory = a.memories().get(0);
        MemorySegment local = memory.localSegment();
        assertSame(local, memory.localSegment(), "the owner keeps one local view");
        write(local, "owner");
        String seen =
            onAnotherThread(
                () -> {
                  assertThrows(WrongThreadException.class, () -> local.get(ValueLayout.JAVA_BYTE, 0));
                  MemorySegment theirs = memory.localSegment();
                  assertSame(memory.segment(), theirs, "another thread gets the shared view");
                  String before = text(theirs, 5);
                  write(theirs, "other");
                  return before;
                });
        assertEquals("owner", seen);
        assertEquals("other", text(local, 5));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void grow_localViewFollows_alsoAfterGrowthOnAnotherThread(String backend) throws Exception {
    try (Engine engine = engine(backend)) {
      PooledModule module = engine.register(withMemory("m", 1, -1));
      try (InstanceAllocation a = module.allocate()) {
        LinearMemory memory = a.memories().get(0);
        assertEquals(1, memory.grow(1));
        assertEquals(2 * PAGE, memory.localSegment().byteSize());
        assertEquals(2L, onAnotherThread(() -> memory.grow(1)));
        MemorySegment local = memory.localSegment();
        assertEquals(3 * PAGE, local.byteSize());
        local.set(ValueLayout.JAVA_BYTE, 3 * PAGE - 1, (byte) 9);
        assertEquals(9, memory.segment().get(ValueLayout.JAVA_BYTE, 3 * PAGE - 1));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void closeOnAnotherThread_ownerRunning_slotFreedUnderAFreshRange_neverReachesTheNextTenant(
      String backend) throws Exception {
    try (Engine engine = engine(backend)) {
      PooledModule module = engine.register(withMemory("m", 1, -1));
      Owner<String> owner =
          startOwner(
              module,
              local -> write(local, "SECRET"),
              local -> {
                // Closed on the main thread: this tenant's own bytes, still its alone.
                String stillMine = text(local, 6);
                // Any engine call on this thread retires its orphan: the slot is reset and reused.
                try (InstanceAllocation next = module.allocate()) {
                  assertThrows(IllegalStateException.class, () -> local.get(ValueLayout.JAVA_BYTE, 0));
                  MemorySegment fresh = next.memories().get(0).localSegment();
                  assertEquals(0L, fresh.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "no SECRET");
                }
                return stillMine;
              });
      InstanceAllocation a = owner.allocation();
      MemorySegment shared = a.memories().get(0).segment();
      a.close();
      assertTrue(a.isClosed());
      assertThrows(IllegalStateException.class, () -> shared.get(ValueLayout.JAVA_BYTE, 0));
      assertEquals(0, engine.metrics().memories(), "the slot is free again, under a fresh range");
      try (InstanceAllocation other = module.allocate()) {
        MemorySegment next = other.memories().get(0).segment();
        assertEquals(0L, next.get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "no SECRET for the next tenant");
        next.fill((byte) 0x77); // must not show through the owner's stale local view
      }
      owner.proceed().countDown();
      assertEquals("SECRET", owner.result().get(WAIT_SECONDS, TimeUnit.SECONDS));
      assertEquals(0, engine.metrics().memories());
      try (InstanceAllocation b = module.allocate()) {
        assertEquals(0L, b.memories().get(0).segment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("backends")
  void closeOnAnotherThread_ownerEnded_slotBackAtOnce(String backend) throws Exception {
    try (Engine engine = engine(backend)) {
      PooledModule module = engine.register(withMemory("m", 1, -1));
      InstanceAllocation a =
          onAnotherThread(
              () -> {
                InstanceAllocation made = module.allocate();
                write(made.memories().get(0).localSegment(), "SECRET");
                return made;
              });
      a.close();
      assertEquals(0, engine.metrics().memories(), "nobody can use the ended owner's views");
      try (InstanceAllocation b = module.allocate()) {
        assertEquals(0L, b.memories().get(0).localSegment().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
      }
    }
  }

  /** Lines of {@code /proc/self/maps} for slots revoked by an engine's close. */
  private static long revokedMappings() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.filter(l -> l.contains("wasmpool-revoked")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Polls until {@code done}, for at most {@link #WAIT_SECONDS}. */
  private static void awaitTrue(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what);
      }
      Thread.sleep(10);
    }
  }

  /** Writes and reads through a view; returns what failed, or {@code null} if nothing did. */
  private static Throwable access(MemorySegment local) {
    try {
      write(local, "after");
      text(local, 5);
      return null;
    } catch (Throwable e) {
      return e;
    }
  }

  /** The failure of an access made after the engine closed, thrown late or returned. */
  private static Throwable accessFailure(CompletableFuture<Throwable> result) throws Exception {
    try {
      Throwable failure = result.get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertNotNull(failure, "the owner's access after Engine.close succeeded");
      return failure;
    } catch (ExecutionException e) {
      // In compiled code the JVM may raise the fault's error a little after the access.
      return e.getCause();
    }
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void engineClose_ownerRunning_ownerAccessesFail_poolsUnmappedOnceTheOwnerEnds() throws Exception {
    // Issue 12 item 4: the pools stayed mapped forever and the owner kept reading and writing.
    long claimedBefore = MappingBudget.process().claimed();
    Engine engine = engine("linux");
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1, data(0, "SECRET")));
    Owner<Throwable> owner = startOwner(module, local -> {}, OwnerThreadTest::access);
    engine.close();
    assertTrue(owner.allocation().isClosed());
    assertThrows(IllegalStateException.class, module::allocate);
    assertEquals(2, revokedMappings(), "the memory slot and the table slot are revoked");
    owner.proceed().countDown();
    Throwable failure = accessFailure(owner.result());
    assertInstanceOf(InternalError.class, failure, () -> "the access failed otherwise: " + failure);
    // The owner thread has ended: the engine finishes its close on its own.
    awaitTrue("the pools were unmapped", () -> revokedMappings() == 0);
    awaitTrue("the mappings were given back", () -> MappingBudget.process().claimed() == claimedBefore);
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void engineClose_onDemand_ownerRunning_ownerAccessesFail_memoryUnmappedOnceTheOwnerEnds()
      throws Exception {
    Engine engine =
        Engine.create(
            EngineConfig.builder()
                .allocationStrategy(AllocationStrategy.onDemand())
                .memoryReservation(4 * PAGE)
                .backend("linux")
                .build());
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1, data(0, "SECRET")));
    Owner<Throwable> owner = startOwner(module, local -> {}, OwnerThreadTest::access);
    engine.close();
    assertEquals(2, revokedMappings(), "the memory and the table are revoked");
    owner.proceed().countDown();
    Throwable failure = accessFailure(owner.result());
    assertInstanceOf(InternalError.class, failure, () -> "the access failed otherwise: " + failure);
    awaitTrue("the reservations were unmapped", () -> revokedMappings() == 0);
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void engineClose_ownerRunning_ownerClosesItsInstance_poolsUnmappedAtOnce() throws Exception {
    Engine engine = engine("linux");
    PooledModule module = engine.register(withMemory("m", 1, -1));
    AtomicReference<InstanceAllocation> mine = new AtomicReference<>();
    Owner<Long> owner =
        startOwner(
            module,
            local -> {},
            local -> {
              mine.get().close();
              return revokedMappings();
            });
    mine.set(owner.allocation());
    engine.close();
    assertEquals(1, revokedMappings());
    owner.proceed().countDown();
    assertEquals(0L, owner.result().get(WAIT_SECONDS, TimeUnit.SECONDS), "the owner's close finished it");
  }

  @Test
  void engineClose_ownerRunning_portable_ownerReachesOnlyItsOwnBytesUntilItEnds() throws Exception {
    // The portable backend cannot revoke: its memory stays allocated for the owner.
    Engine engine = engine("portable");
    PooledModule module = engine.register(withMemory("m", 1, -1, data(0, "image")));
    Owner<String> owner =
        startOwner(
            module,
            local -> {},
            local -> {
              write(local, "after");
              return text(local, 5);
            });
    engine.close();
    assertThrows(IllegalStateException.class, () -> owner.allocation().memories().get(0).segment());
    owner.proceed().countDown();
    assertEquals("after", owner.result().get(WAIT_SECONDS, TimeUnit.SECONDS));
  }

  /**
   * An allocation made on its own owner thread, which then waits for {@code proceed} before it
   * finishes with {@code result}.
   */
  private record Owner<T>(
      InstanceAllocation allocation, CountDownLatch proceed, CompletableFuture<T> result) {}

  /**
   * Starts an owner thread that allocates, runs {@code beforeHandOver} on its local view of memory
   * 0, hands the allocation over, waits to be told to proceed, then runs {@code afterProceed} on
   * that view; returns once the allocation is handed over.
   */
  private static <T> Owner<T> startOwner(
      PooledModule module,
      Consumer<MemorySegment> beforeHandOver,
      Function<MemorySegment, T> afterProceed) {
    CountDownLatch handedOver = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicReference<InstanceAllocation> allocation = new AtomicReference<>();
    CompletableFuture<T> result =
        CompletableFuture.supplyAsync(
            () -> {
              InstanceAllocation a = module.allocate();
              MemorySegment local = a.memories().get(0).localSegment();
              beforeHandOver.accept(local);
              allocation.set(a);
              handedOver.countDown();
              await(proceed);
              return afterProceed.apply(local);
            },
            runnable -> new Thread(runnable).start());
    await(handedOver);
    return new Owner<>(allocation.get(), proceed, result);
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("the other thread did not get there");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
