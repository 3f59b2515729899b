package dev.wasmpool.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.Engine;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import dev.wasmpool.fuzz.Faults.InjectedFault;
import dev.wasmpool.fuzz.Faults.Op;
import dev.wasmpool.testkit.Backends;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Fault injection through the SPI: each case wraps a real backend in {@link FaultyBackend}, which
 * fails random operations ({@code reserve}, {@code createImage}, {@code makeAccessible}, {@code
 * makeInaccessible}, {@code reset}, {@code mapImage}, {@code removeImage}) with a {@link
 * InjectedFault} at random points, and drives a random pool ({@link PoolShape}) with random
 * modules ({@link TenantModule}) as the leak fuzzer does. While faults are injected:
 *
 * <ul>
 *   <li>every exception the public API throws is a clear one: a runtime exception with a message
 *       that has the injected fault in its causes (or is it), never a {@code
 *       NullPointerException}, an index error or an {@code Error};
 *   <li>every instance that does open sees exactly its module's initial state (a failed reset
 *       never shows the next tenant a byte or element of the previous one).
 * </ul>
 *
 * <p>Then the faults stop. Every instance still open closes without an exception, the metrics
 * count nothing live, every slot of the pool opens at once (none was lost) with exactly its
 * module's initial state, twice, and after the engine closes the backend holds no reservation and
 * no image. In a quarter of the cases the engine is instead closed while the faults still fire:
 * the close may report a fault, but must still release every reservation and image.
 *
 * <p>Runs {@value FuzzBudget#SECONDS} seconds (30 by default); see {@link FuzzBudget} for the
 * seed properties. The engine's own assertions are on ({@code -ea}), so a broken invariant fails
 * the case too.
 */
class FaultInjectionFuzzTest {

  private static final double[] PROBABILITIES = {0, 0, 0.02, 0.1, 0.3, 0.6};

  @Test
  void faultsNeverCorruptThePool() {
    FuzzBudget budget = FuzzBudget.of(getClass());
    List<String> backends = Backends.onThisOs();
    Map<Op, Integer> injected = new EnumMap<>(Op.class);
    long[] totals = new long[2];
    try {
      for (Long caseSeed = budget.nextCase(); caseSeed != null; caseSeed = budget.nextCase()) {
        String replay = budget.replay(caseSeed);
        FaultyBackendProvider.FAULTS.disarm();
        FaultyBackendProvider.FAULTS.clearCounts();
        try {
          runCase(caseSeed, backends, replay, totals);
        } catch (RuntimeException | AssertionError e) {
          throw new AssertionError(replay + " (faults injected: " + FaultyBackendProvider.FAULTS.injected() + "): " + e, e);
        }
        FaultyBackendProvider.FAULTS.injected().forEach((op, n) -> injected.merge(op, n, Integer::sum));
      }
    } finally {
      FaultyBackendProvider.FAULTS.disarm();
    }
    budget.report(totals[0] + " tenants scanned, " + totals[1] + " clear failures, faults injected " + injected);
    assertTrue(totals[0] > 0, "no tenant ran");
  }

  private static void runCase(long caseSeed, List<String> backends, String replay, long[] totals) {
    SplittableRandom r = new SplittableRandom(caseSeed);
    String delegate = backends.get(r.nextInt(backends.size()));
    FaultyBackendProvider.delegate = delegate;
    PoolShape shape = PoolShape.random(r, delegate);
    List<TenantModule> modules = TenantModule.several(r, shape, 1 + r.nextInt(4));
    Map<Op, Double> probabilities = new EnumMap<>(Op.class);
    for (Op op : Op.values()) {
      probabilities.put(op, PROBABILITIES[r.nextInt(PROBABILITIES.length)]);
    }
    String where = replay + ", " + shape + ", faults " + probabilities;
    FaultyBackendProvider.FAULTS.arm(r.nextLong(), probabilities);

    Engine engine = openEngine(shape, where, totals);
    FaultyBackend backend = FaultyBackendProvider.last;

    PooledWasmModule[] loaded = new PooledWasmModule[modules.size()];
    List<PooledInstance> live = new ArrayList<>();
    List<Integer> liveModule = new ArrayList<>();
    int steps = 20 + r.nextInt(80);
    for (int step = 0; step < steps; step++) {
      String context = where + ", step " + step;
      int k = r.nextInt(modules.size());
      int action = r.nextInt(10);
      if (loaded[k] == null) {
        loaded[k] = attempt(() -> PooledWasmModule.load(engine, modules.get(k).module), context + ", load", totals);
      } else if (action < 6 && live.size() < shape.slots()) {
        PooledInstance instance = attempt(loaded[k]::instantiate, context + ", instantiate", totals);
        if (instance != null) {
          live.add(instance);
          liveModule.add(k);
          modules.get(k).scan(instance, context + ", module " + k + " " + modules.get(k));
          totals[0]++;
          attemptTo(
              () -> modules.get(k).dirty(instance, shape, r, context + ", module " + k, true),
              context + ", dirty",
              totals);
        }
      } else if (action < 9 && !live.isEmpty()) {
        int i = r.nextInt(live.size());
        PooledInstance instance = live.remove(i);
        liveModule.remove(i);
        attemptTo(instance::close, context + ", close instance", totals);
      } else if (action == 9) {
        for (int i = live.size() - 1; i >= 0; i--) {
          if (liveModule.get(i) == k) {
            PooledInstance instance = live.remove(i);
            liveModule.remove(i);
            attemptTo(instance::close, context + ", close instance", totals);
          }
        }
        PooledWasmModule module = loaded[k];
        loaded[k] = null;
        attemptTo(module::close, context + ", close module", totals);
      }
    }

    if (r.nextInt(4) == 0) {
      // Close the instances and then the engine while the faults still fire: either may report
      // one, but everything is released. (Modules are left for the engine to close.)
      for (PooledInstance instance : live) {
        attemptTo(instance::close, where + ", close instance under faults", totals);
      }
      attemptTo(engine::close, where + ", Engine.close under faults", totals);
      FaultyBackendProvider.FAULTS.disarm();
      assertReleased(backend, where + ", after Engine.close under faults");
      return;
    }

    FaultyBackendProvider.FAULTS.disarm();
    for (PooledInstance instance : live) {
      instance.close();
    }
    PoolShape.assertNothingLive(engine, where);

    // The pool keeps working: every slot opens at once, clean, twice over.
    for (int round = 0; round < 2; round++) {
      for (int k = 0; k < modules.size(); k++) {
        if (loaded[k] == null) {
          loaded[k] = PooledWasmModule.load(engine, modules.get(k).module);
        }
        List<PooledInstance> all = new ArrayList<>();
        for (int s = 0; s < shape.slots(); s++) {
          String context = where + ", after the faults, round " + round + ", module " + k + " " + modules.get(k) + ", slot " + s;
          PooledInstance instance = loaded[k].instantiate();
          all.add(instance);
          modules.get(k).scan(instance, context);
          modules.get(k).dirty(instance, shape, r, context);
          totals[0]++;
        }
        for (PooledInstance instance : all) {
          instance.close();
        }
      }
    }
    PoolShape.assertNothingLive(engine, where + ", after the clean rounds");
    for (PooledWasmModule m : loaded) {
      m.close();
    }
    engine.close();
    assertReleased(backend, where + ", after Engine.close");
  }

  /** Creates the engine; after three failed attempts without faults. */
  private static Engine openEngine(PoolShape shape, String where, long[] totals) {
    for (int attempt = 0; ; attempt++) {
      if (attempt == 3) {
        FaultyBackendProvider.FAULTS.disarm();
      }
      try {
        return Engine.create(shape.engine(FaultyBackendProvider.NAME));
      } catch (RuntimeException e) {
        assertClear(e, where + ", Engine.create");
        totals[1]++;
        assertReleased(FaultyBackendProvider.last, where + ", after a failed Engine.create");
      }
    }
  }

  /** Runs {@code action}; a runtime exception must be a clear report of an injected fault. */
  private static <T> T attempt(Supplier<T> action, String where, long[] totals) {
    try {
      return action.get();
    } catch (RuntimeException e) {
      assertClear(e, where);
      totals[1]++;
      return null;
    }
  }

  /** As {@link #attempt}, for an action without a result. */
  private static void attemptTo(Runnable action, String where, long[] totals) {
    attempt(
        () -> {
          action.run();
          return Boolean.TRUE;
        },
        where,
        totals);
  }

  /** Fails unless {@code backend} (if any was created) has no reservation or image open. */
  private static void assertReleased(FaultyBackend backend, String where) {
    if (backend != null) {
      assertEquals(0, backend.openReservations.get(), where + ": reservations left open");
      assertEquals(0, backend.openImages.get(), where + ": images left open");
    }
  }

  /** A clear error: a message, no programming-error type, and the injected fault among its causes. */
  static void assertClear(RuntimeException e, String where) {
    if (e instanceof NullPointerException
        || e instanceof IndexOutOfBoundsException
        || e instanceof ClassCastException
        || e instanceof IllegalMonitorStateException
        || e instanceof ArithmeticException) {
      throw new AssertionError(where + ": a programming error escaped: " + e, e);
    }
    if (e.getMessage() == null || e.getMessage().isBlank()) {
      throw new AssertionError(where + ": an exception without a message: " + e, e);
    }
    if (!causedByFault(e, java.util.Collections.newSetFromMap(new IdentityHashMap<>()))) {
      throw new AssertionError(where + ": an exception no injected fault explains: " + e, e);
    }
  }

  private static boolean causedByFault(Throwable t, Set<Throwable> seen) {
    if (t == null || !seen.add(t)) {
      return false;
    }
    if (t instanceof InjectedFault) {
      return true;
    }
    for (Throwable s : t.getSuppressed()) {
      if (causedByFault(s, seen)) {
        return true;
      }
    }
    return causedByFault(t.getCause(), seen);
  }
}
