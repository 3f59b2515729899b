package dev.wasmpool.api.internal.engine;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The view of a memory or table that any thread may use, made from the shared arena on first
 * demand and then kept.
 *
 * <p>Concurrency: made under the {@link Lifetime}'s monitor (double-checked), so that it never
 * races with a growth or the allocation's close, which hold the same monitor; {@link #replace} is
 * called with that monitor held.
 */
final class SharedView {

  private final Lifetime life;

  /** Makes the view from {@link Lifetime#shared()}; called under the lifetime's monitor. */
  private final Supplier<MemorySegment> make;

  /** {@code null} until first asked for. */
  private volatile @Nullable MemorySegment view;

  SharedView(Lifetime life, Supplier<MemorySegment> make) {
    this.life = life;
    this.make = make;
  }

  /**
   * The view, made under the lifetime's monitor if there is none yet.
   *
   * @return the view
   */
  MemorySegment get() {
    MemorySegment current = view;
    if (current == null) {
      synchronized (life) {
        current = view;
        if (current == null) {
          current = make.get();
          view = current;
        }
      }
    }
    return current;
  }

  /**
   * Replaces the view, if one was made, with a fresh one (after a growth); a view not yet asked for
   * stays unmade.
   *
   * @param remake makes the new view from {@link Lifetime#shared()}
   */
  void replace(Supplier<MemorySegment> remake) {
    assert Thread.holdsLock(life) : "replaced under the lifetime's monitor";
    if (view != null) {
      view = remake.get();
    }
  }
}
