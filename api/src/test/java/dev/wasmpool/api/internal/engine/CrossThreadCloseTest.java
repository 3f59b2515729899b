package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemoryAndTable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.testing.FakeBackend;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, item 3: instances closed by another thread than their owner, which stays alive, give
 * their slots back at once (under fresh address ranges), and the owner's stale views reach only
 * the closed instances' own bytes.
 */
class CrossThreadCloseTest {

  @Test
  void ownerAlive_anotherThreadCloses_slotsFreeAtOnce_staleViewsSeeOnlyTheirOwnBytes() throws Exception {
    FakeBackend backend = FakeBackend.linuxLike();
    EngineImpl engine = engine(backend, smallPool().build()); // 4 memories, 4 tables, 4 cores
    PooledModule module = engine.register(withMemoryAndTable("m", 1, 1, data(0, "IMG")));
    List<InstanceAllocation> opened = new ArrayList<>();
    List<MemorySegment> staleViews = new ArrayList<>();
    CountDownLatch openedAll = new CountDownLatch(1);
    CountDownLatch mayEnd = new CountDownLatch(1);
    byte[] seen = new byte[4];
    Throwable[] ownerFailure = new Throwable[1];
    CountDownLatch looked = new CountDownLatch(1);
    CountDownLatch mayLook = new CountDownLatch(1);
    Thread owner =
        Thread.ofPlatform()
            .start(
                () -> {
                  for (int i = 0; i < 4; i++) {
                    InstanceAllocation a = module.allocate();
                    MemorySegment view = a.memories().get(0).localSegment(); // confined to the owner
                    view.set(ValueLayout.JAVA_BYTE, 100, (byte) (0x10 + i)); // the owner's own byte
                    opened.add(a);
                    staleViews.add(view);
                  }
                  openedAll.countDown();
                  try {
                    mayLook.await();
                    for (int i = 0; i < 4; i++) {
                      seen[i] = staleViews.get(i).get(ValueLayout.JAVA_BYTE, 100);
                    }
                  } catch (Throwable e) {
                    ownerFailure[0] = e;
                  } finally {
                    looked.countDown();
                  }
                  try {
                    mayEnd.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    openedAll.await();
    Thread.ofPlatform().start(() -> opened.forEach(InstanceAllocation::close)).join();
    assertEquals(0, engine.metrics().coreInstances(), "nothing live once closed, although the owner runs");
    assertEquals(0, engine.metrics().memories());
    // A third thread gets every slot, and writes over the whole memory.
    List<InstanceAllocation> next = new ArrayList<>();
    Thread.ofPlatform()
        .start(
            () -> {
              for (int i = 0; i < 4; i++) {
                InstanceAllocation a = module.allocate();
                assertEquals('I', (char) a.memories().get(0).segment().get(ValueLayout.JAVA_BYTE, 0), "its image");
                assertEquals(0, a.memories().get(0).segment().get(ValueLayout.JAVA_BYTE, 100), "no stale byte");
                a.memories().get(0).segment().fill((byte) 0x77);
                next.add(a);
              }
            })
        .join();
    mayLook.countDown();
    org.junit.jupiter.api.Assertions.assertTrue(looked.await(20, java.util.concurrent.TimeUnit.SECONDS));
    if (ownerFailure[0] != null) {
      throw new AssertionError("the owner's read failed", ownerFailure[0]);
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(0x10 + i, seen[i], "the owner's stale view reaches its own byte, never the new tenant's");
      assertNotEquals(0x77, seen[i]);
    }
    mayEnd.countDown();
    owner.join();
    int reservations = backend.count("reserve");
    // The owner ended: its old ranges are taken back as spares at the next call, and a second
    // round of cross-thread closes reuses them instead of reserving more.
    Thread.ofPlatform().start(() -> next.forEach(InstanceAllocation::close)).join();
    Thread.ofPlatform().start(() -> module.allocate().close()).join();
    assertEquals(reservations, backend.count("reserve"), "spares reused");
    assertEquals(0, engine.metrics().coreInstances());
    closeAndCheck(engine, backend);
  }
}
