package dev.wasmpool.api.internal.engine;

import static dev.wasmpool.api.internal.engine.EngineFixture.closeAndCheck;
import static dev.wasmpool.api.internal.engine.EngineFixture.engine;
import static dev.wasmpool.api.internal.engine.EngineFixture.slotOf;
import static dev.wasmpool.api.internal.engine.EngineFixture.smallPool;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.PoolExhaustedException;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.internal.index.AffinityKey;
import dev.wasmpool.api.internal.index.ReferenceIndexAllocator;
import dev.wasmpool.api.internal.testing.Seeds;
import dev.wasmpool.api.testing.FakeBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11, point 1: every allocation, on any thread, follows the seed's three rules over the
 * whole pool — the most recently used slot affine to the module; else, with more than {@code
 * maxUnusedWarmSlots} unused warm slots, the least recently used of them; else a cold slot.
 */
class SeedRulesOnAnyThreadTest {

  private final FakeBackend backend = FakeBackend.linuxLike();
  private EngineImpl engine;

  @AfterEach
  void close() {
    if (engine != null) {
      closeAndCheck(engine, backend);
    }
  }

  @Test
  void oneThread_closedSlot0ThenSlot1_nextInstanceGetsSlot1_theMostRecentlyUsed() {
    engine = engine(backend, smallPool().build());
    PooledModule a = engine.register(withMemory("a", 1, -1, data(0, "A")));
    InstanceAllocation first = a.allocate();
    InstanceAllocation second = a.allocate();
    assertEquals(0, slotOf(first, 0));
    assertEquals(1, slotOf(second, 0));
    first.close();
    second.close();
    try (InstanceAllocation next = a.allocate()) {
      assertEquals(1, slotOf(next, 0));
    }
  }

  @Test
  void warmBudgetOne_modulesABC_cTakesTheLeastRecentlyUsedWarmSlot() {
    engine = engine(backend, smallPool().maxUnusedWarmSlots(1).build());
    PooledModule a = engine.register(withMemory("a", 1, -1, data(0, "A")));
    PooledModule b = engine.register(withMemory("b", 1, -1, data(0, "B")));
    PooledModule c = engine.register(withMemory("c", 1, -1, data(0, "C")));
    InstanceAllocation ia = a.allocate();
    InstanceAllocation ib = b.allocate();
    int slotA = slotOf(ia, 0);
    ia.close();
    ib.close();
    try (InstanceAllocation ic = c.allocate()) {
      assertEquals(slotA, slotOf(ic, 0), "two warm slots exceed the budget of 1: A's, the least recently used");
    }
  }

  @Test
  void closedOnOneThread_takenOnAnother_mostRecentAffineSlotWins() throws Exception {
    engine = engine(backend, smallPool().build());
    PooledModule a = engine.register(withMemory("a", 1, -1, data(0, "A")));
    ExecutorService one = Executors.newSingleThreadExecutor();
    ExecutorService two = Executors.newSingleThreadExecutor();
    try {
      InstanceAllocation x = one.submit(a::allocate).get();
      InstanceAllocation y = two.submit(a::allocate).get();
      one.submit(x::close).get();
      two.submit(y::close).get(); // y's slot is now the most recently used
      InstanceAllocation z = one.submit(a::allocate).get();
      assertEquals(slotOf(y, 0), slotOf(z, 0), "thread one gets the slot thread two freed last");
      one.submit(z::close).get();
    } finally {
      one.shutdown();
      two.shutdown();
    }
  }

  /**
   * Random programs over four platform threads, one call at a time in a random order of threads:
   * every slot handed out equals the reference model's choice for the same sequence, whatever
   * thread made each call. Each instance is closed by the thread that made it; a close from
   * another thread returns the slots only once the owner's views are dead (see {@code
   * EngineImpl}'s orphans), which the reference model does not know.
   */
  @Test
  void randomCallsFromFourThreads_everySlotIsTheReferenceModelsChoice() {
    Seeds.forEachSeed(
        SeedRulesOnAnyThreadTest.class,
        "randomCallsFromFourThreads_everySlotIsTheReferenceModelsChoice",
        20,
        seed -> {
          System.out.printf(Locale.ROOT, "SeedRulesOnAnyThreadTest seed 0x%x%n", seed);
          try {
            checkAgainstModel(seed);
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
  }

  private void checkAgainstModel(long seed) throws Exception {
    SplittableRandom random = new SplittableRandom(seed);
    int capacity = 6;
    int budget = random.nextInt(4);
    FakeBackend fake = FakeBackend.linuxLike();
    EngineImpl local =
        engine(fake, smallPool().totalMemories(capacity).totalCoreInstances(capacity).maxUnusedWarmSlots(budget).build());
    ReferenceIndexAllocator model = new ReferenceIndexAllocator(capacity, budget);
    List<PooledModule> modules = new ArrayList<>();
    List<AffinityKey> keys = new ArrayList<>();
    for (int m = 0; m < 4; m++) {
      modules.add(local.register(withMemory("m" + m, 1, -1, data(0, "M" + m))));
      keys.add(new AffinityKey(1000 + m, 0));
    }
    List<ExecutorService> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      threads.add(Executors.newSingleThreadExecutor());
    }
    List<InstanceAllocation> held = new ArrayList<>();
    List<ExecutorService> owners = new ArrayList<>();
    try {
      for (int step = 0; step < 300; step++) {
        ExecutorService thread = threads.get(random.nextInt(threads.size()));
        if (held.isEmpty() || (held.size() < capacity + 1 && random.nextInt(3) != 0)) {
          int m = random.nextInt(modules.size());
          PooledModule module = modules.get(m);
          InstanceAllocation got =
              thread
                  .submit(
                      () -> {
                        try {
                          return module.allocate();
                        } catch (PoolExhaustedException e) {
                          return null;
                        }
                      })
                  .get();
          int expected = model.alloc(keys.get(m));
          int actual = got == null ? -1 : slotOf(got, 0);
          assertEquals(expected, actual, "step " + step + ": allocation of m" + m + " (budget " + budget + ")");
          if (got != null) {
            held.add(got);
            owners.add(thread);
          }
        } else {
          int v = random.nextInt(held.size());
          InstanceAllocation victim = held.remove(v);
          ExecutorService owner = owners.remove(v);
          int slot = slotOf(victim, 0);
          owner.submit(victim::close).get();
          model.free(slot, 0);
        }
      }
    } finally {
      for (int i = 0; i < held.size(); i++) {
        owners.get(i).submit(held.get(i)::close).get();
      }
      threads.forEach(ExecutorService::shutdown);
    }
    closeAndCheck(local, fake);
  }
}
