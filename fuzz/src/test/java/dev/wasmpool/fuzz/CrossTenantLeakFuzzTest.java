package dev.wasmpool.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.Engine;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import dev.wasmpool.testkit.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Randomized cross-tenant leak test. Each case builds a random pool (backend, slot count, memory
 * and reservation size, guards, copy-on-write, keep-resident sizes, decommit batch, warm-slot
 * budget; see {@link PoolShape}) and a few random modules (see {@link TenantModule}), then opens,
 * closes, unloads and reloads them in random order, never more at once than the pool holds. Every
 * new tenant scans all of its memory and its table, and must see only its module's initial state
 * (zeros and its own data segments; null elements and its own element segments), and pages it
 * grows into must read zero; then it overwrites everything it can reach. Handles of closed
 * instances are kept: each access through one must throw {@link IllegalStateException}, and the
 * tenant then on the slot must be unchanged. After the case every count in the engine's metrics is
 * back to zero.
 *
 * <p>Runs {@value FuzzBudget#SECONDS} seconds (30 by default); see {@link FuzzBudget} for the
 * seed properties.
 */
class CrossTenantLeakFuzzTest {

  @Test
  void everyTenantSeesOnlyItsModulesInitialState() {
    FuzzBudget budget = FuzzBudget.of(getClass());
    List<String> backends = Backends.onThisOs();
    long tenants = 0;
    for (Long caseSeed = budget.nextCase(); caseSeed != null; caseSeed = budget.nextCase()) {
      String replay = budget.replay(caseSeed);
      try {
        tenants += runCase(caseSeed, backends, replay);
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError(replay + ": " + e, e);
      }
    }
    budget.report(tenants + " tenants scanned");
    assertTrue(tenants > 0, "no tenant ran");
  }

  private static long runCase(long caseSeed, List<String> backends, String replay) {
    SplittableRandom r = new SplittableRandom(caseSeed);
    PoolShape shape = PoolShape.random(r, backends.get(r.nextInt(backends.size())));
    List<TenantModule> modules = TenantModule.several(r, shape, 1 + r.nextInt(5));
    long tenants = 0;
    String where = replay + ", " + shape;
    try (Engine engine = Engine.create(shape.engine())) {
      List<PooledWasmModule> loaded = new ArrayList<>();
      for (TenantModule m : modules) {
        loaded.add(PooledWasmModule.load(engine, m.module));
      }
      List<PooledInstance> live = new ArrayList<>();
      List<Integer> liveModule = new ArrayList<>();
      List<StaleHandle> stale = new ArrayList<>();
      int steps = 20 + r.nextInt(80);
      for (int step = 0; step < steps; step++) {
        int action = r.nextInt(10);
        if (action < 6 && live.size() < shape.slots()) {
          int k = r.nextInt(modules.size());
          TenantModule m = modules.get(k);
          String context = where + ", step " + step + ", module " + k + " " + m;
          PooledInstance instance = loaded.get(k).instantiate();
          live.add(instance);
          liveModule.add(k);
          m.scan(instance, context);
          if (!stale.isEmpty()) {
            stale.get(r.nextInt(stale.size())).probe(r, context);
            m.scan(instance, context + ", after a stale handle's accesses");
          }
          m.dirty(instance, shape, r, context);
          tenants++;
        } else if (action < 9 && !live.isEmpty()) {
          int i = r.nextInt(live.size());
          PooledInstance closing = live.remove(i);
          stale.add(StaleHandle.of(closing, modules.get(liveModule.remove(i)).hasTable()));
          if (stale.size() > 8) {
            stale.remove(0);
          }
          closing.close();
        } else if (action == 9) {
          // Unload a module (its affine slots are purged) and load a new one in its place.
          int k = r.nextInt(modules.size());
          for (int i = live.size() - 1; i >= 0; i--) {
            if (liveModule.get(i) == k) {
              live.remove(i).close();
              liveModule.remove(i);
            }
          }
          loaded.get(k).close();
          modules.set(k, TenantModule.random(r, shape));
          loaded.set(k, PooledWasmModule.load(engine, modules.get(k).module));
        }
      }
      for (PooledInstance instance : live) {
        instance.close();
      }
      PoolShape.assertNothingLive(engine, where);
      for (PooledWasmModule m : loaded) {
        m.close();
      }
    }
    return tenants;
  }
}
