package dev.wasmpool.api.binding;

import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One instance's slots as a runtime's memory and table factories hand them out: the allocation
 * (given, or made at the first request), the next defined memory and table in index order, the
 * limits a runtime may ask for instead of the declared ones, and the release that revokes every
 * view handed out before the slots go back to the pool. Each binding's factories delegate here.
 *
 * <p>Limits other than the declared ones (Chicory's and Endive's {@code
 * Instance.Builder.withMemoryLimits}) are honoured within the declared ones: a larger initial size
 * grows the slot before the runtime sees it, up to the declared maximum and what the slot holds; a
 * smaller maximum is the runtime memory's to enforce.
 *
 * <p>Not thread-safe: used by the one thread building the instance; {@link #release()} may come
 * from any thread once the instance is built.
 */
public final class InstanceSlots {

  /** The maximum of a memory that declares none: 65536 pages (4 GiB) with 32-bit addresses. */
  private static final long NO_MAXIMUM_PAGES = 1L << 16;

  private final PooledModule module;
  private final String perInstanceHint;
  private @Nullable InstanceAllocation allocation;

  /** The views handed out, revoked by {@link #release()}; memories first, then tables. */
  private final @Nullable SlotView[] views;

  private int nextMemory;
  private int nextTable;

  /** Set by {@link #release()}: no slot is taken afterwards. */
  private volatile boolean released;

  /**
   * Slots for one instance.
   *
   * @param module the module the instance is of
   * @param allocation the allocation, or {@code null} to make it at the first request
   * @param perInstanceHint what to do instead of reusing the factories for a second instance, for
   *     the error: for example {@code "take new PooledResources (PooledWasmModule.resources()) for
   *     each instance"}
   */
  public InstanceSlots(PooledModule module, @Nullable InstanceAllocation allocation, String perInstanceHint) {
    this.module = module;
    this.perInstanceHint = Objects.requireNonNull(perInstanceHint, "perInstanceHint");
    ModuleDescriptor descriptor = module.descriptor();
    this.views = new SlotView[descriptor.memories().size() + descriptor.tables().size()];
    if (allocation != null) {
      adopt(allocation);
    }
  }

  /**
   * Takes the allocation and has its close revoke the views, whoever closes it: {@link
   * #release()}, or {@link dev.wasmpool.api.Engine#close()} closing an allocation still open.
   */
  private void adopt(InstanceAllocation taken) {
    allocation = taken;
    taken.whenClosed(this::revokeViews);
  }

  /**
   * The allocation, made now if no request made it yet.
   *
   * @return the allocation
   * @throws IllegalStateException if {@link #release()} was called, or the module or engine closed
   * @throws dev.wasmpool.api.PoolExhaustedException if a pool has no free slot
   */
  public InstanceAllocation allocation() {
    InstanceAllocation current = allocation;
    if (current == null) {
      if (released) {
        throw new IllegalStateException(
            "the pooled resources of module " + module.descriptor().name() + " were closed");
      }
      current = module.allocate();
      adopt(current);
    }
    return current;
  }

  /**
   * Whether the allocation was made.
   *
   * @return {@code true} once given or made
   */
  public boolean allocated() {
    return allocation != null;
  }

  /**
   * How many defined memories were handed out.
   *
   * @return the count
   */
  public int memoriesTaken() {
    return nextMemory;
  }

  /**
   * How many defined tables were handed out.
   *
   * @return the count
   */
  public int tablesTaken() {
    return nextTable;
  }

  /**
   * The next defined memory's slot, sized to {@code initialPages}.
   *
   * @param initialPages the initial size the runtime asks for
   * @param maximumPages the maximum the runtime asks for
   * @return the slot
   * @throws IllegalStateException if every defined memory was handed out already (the factory is
   *     used for a second instance)
   * @throws IllegalArgumentException if the limits leave the declared ones, or the slot cannot hold
   *     the initial size
   */
  public LinearMemory nextMemory(long initialPages, long maximumPages) {
    int index = nextMemory;
    ModuleDescriptor descriptor = module.descriptor();
    int defined = descriptor.memories().size();
    if (index >= defined) {
      throw new IllegalStateException(
          "module " + descriptor.name() + " defines " + defined + (defined == 1 ? " memory" : " memories")
              + " and this factory gave them to an instance already: " + perInstanceHint);
    }
    MemoryType declared = descriptor.memories().get(index);
    long declaredMaximum = declared.maximumPages().orElse(NO_MAXIMUM_PAGES);
    if (initialPages < declared.minimumPages()
        || initialPages > declaredMaximum
        || maximumPages > declaredMaximum
        || maximumPages < initialPages) {
      throw new IllegalArgumentException(
          "memory " + index + " of module " + descriptor.name() + ": Instance.Builder.withMemoryLimits("
              + initialPages + ", " + maximumPages + ") must stay within the declared limits of "
              + declared.minimumPages() + " to " + declaredMaximum + " pages");
    }
    LinearMemory linear = allocation().memories().get(index);
    long extra = initialPages - linear.pages();
    if (extra > 0 && linear.grow(extra) < 0) {
      throw new IllegalArgumentException(
          "memory " + index + " of module " + descriptor.name() + ": Instance.Builder.withMemoryLimits asks for "
              + initialPages + " initial pages, but its pool slot holds at most " + linear.maximumPages());
    }
    nextMemory++;
    return linear;
  }

  /**
   * The next defined table's slot.
   *
   * @return the slot
   * @throws IllegalStateException if every defined table was handed out already
   */
  public TableSlot nextTable() {
    int index = nextTable;
    ModuleDescriptor descriptor = module.descriptor();
    int defined = descriptor.tables().size();
    if (index >= defined) {
      throw new IllegalStateException(
          "module " + descriptor.name() + " defines " + defined + (defined == 1 ? " table" : " tables")
              + " and this factory gave them to an instance already: " + perInstanceHint);
    }
    TableSlot slot = allocation().tables().get(index);
    nextTable++;
    return slot;
  }

  /**
   * Remembers the runtime object made over a memory or table slot, to revoke it on release.
   *
   * @param <V> the view's type
   * @param view the memory's or table's view
   * @return the view
   */
  public <V extends SlotView> V track(V view) {
    for (int i = 0; i < views.length; i++) {
      if (views[i] == null) {
        views[i] = view;
        return view;
      }
    }
    throw new IllegalStateException("more views than the module's memories and tables");
  }

  /**
   * Closes the allocation (if one was made), whose close first revokes every view tracked: every
   * later access through them throws, and the slots go back to the pool. Idempotent.
   */
  public void release() {
    released = true;
    InstanceAllocation current = allocation;
    if (current != null) {
      current.close(); // runs revokeViews first
    } else {
      revokeViews();
    }
  }

  /** Cuts every tracked view loose (plain writes, published by the allocation's close). */
  private void revokeViews() {
    for (SlotView view : views) {
      if (view != null) {
        view.revoke();
      }
    }
  }
}
