package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.TableSlot;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The resources of one instance. Every segment it hands out is a view bound to one of its {@link
 * Lifetime}'s arenas, and {@link #close()} closes them before anything is reset, so a stale handle
 * throws {@link IllegalStateException} instead of reaching the slot's next tenant. When the
 * confined arena cannot be closed yet (another thread than the owner closes the allocation), the
 * allocation becomes an orphan and its slots wait in the engine until it can.
 *
 * <p>Thread-safe.
 */
final class Allocation implements InstanceAllocation {

  private final EngineImpl engine;
  private final RegisteredModule module;
  private final Lifetime life;
  private final AllocatedMemory[] memories;
  private final AllocatedTable[] tables;
  private final GuestRights guestRights;

  /**
   * The hash in the engine's set of live allocations: identity hashes of new objects are computed
   * by a call into the VM, once per allocation.
   */
  private final int hash = ThreadLocalRandom.current().nextInt();

  private static final AllocatedTable[] NO_TABLES = {};

  /** The binding's action on close; see {@link #whenClosed}. */
  private volatile @Nullable Runnable whenClosed;

  /** Whether its slots were relocated when it was orphaned ({@link EngineImpl#orphaned}). */
  private volatile boolean relocated;

  /**
   * Wraps granted slots; creates the views.
   *
   * @throws IllegalStateException if a view cannot be made (the caller releases the grants)
   */
  Allocation(
      EngineImpl engine,
      RegisteredModule module,
      Lifetime life,
      MemoryGrant[] memoryGrants,
      TableGrant[] tableGrants,
      GuestRights guestRights) {
    this.engine = engine;
    this.guestRights = guestRights;
    this.module = module;
    this.life = life;
    this.memories = new AllocatedMemory[memoryGrants.length];
    boolean storageMoves = memoryGrants.length > 0 && engine.storageMoves();
    for (int i = 0; i < memoryGrants.length; i++) {
      memories[i] = new AllocatedMemory(life, i, memoryGrants[i], guestRights, storageMoves);
    }
    this.tables = tableGrants.length == 0 ? NO_TABLES : new AllocatedTable[tableGrants.length];
    for (int i = 0; i < tableGrants.length; i++) {
      tables[i] = new AllocatedTable(life, i, tableGrants[i]);
    }
  }

  AllocatedMemory[] allocatedMemories() {
    return memories;
  }

  AllocatedTable[] allocatedTables() {
    return tables;
  }

  RegisteredModule registeredModule() {
    return module;
  }

  @Override
  public PooledModule module() {
    return module;
  }

  @Override
  public List<LinearMemory> memories() {
    // A view made on demand: instantiation uses memory(int), so it allocates no list.
    return Collections.unmodifiableList(Arrays.asList(memories));
  }

  @Override
  public LinearMemory memory(int index) {
    return memories[index];
  }

  @Override
  public List<TableSlot> tables() {
    return Collections.unmodifiableList(Arrays.asList(tables));
  }

  @Override
  public TableSlot table(int index) {
    return tables[index];
  }

  @Override
  public GuestRights guestRights() {
    return guestRights;
  }

  /**
   * Closes the arenas (every handle dies), then resets and returns the slots; or, when the owner's
   * local views cannot be closed from this thread, hands the allocation to the engine as an orphan.
   *
   * @throws IllegalStateException if the shared arena cannot be closed because a thread is using
   *     one of its segments in a native call; the allocation then stays open and may be closed later
   */
  @Override
  public void close() {
    Runnable hook = whenClosed;
    if (hook != null) {
      hook.run();
    }
    engine.enterHost();
    switch (life.close()) {
      case RETIRED -> engine.release(this);
      case ORPHANED -> engine.orphaned(this);
      case ALREADY_CLOSED -> {}
    }
    engine.retireOrphans();
  }


  @Override
  public boolean isClosed() {
    return life.isClosed();
  }

  @Override
  public void whenClosed(Runnable action) {
    whenClosed = java.util.Objects.requireNonNull(action, "action");
  }

  /** Records that this orphan's slot indexes were freed under fresh ranges. */
  void markRelocated() {
    relocated = true;
  }

  /**
   * Whether this orphan's slots were relocated: only its old ranges wait for its owner.
   *
   * @return {@code true} once relocated
   */
  boolean isRelocated() {
    return relocated;
  }

  /**
   * For an orphan: retires the owner's views if this thread may.
   *
   * @return {@code true} if the slots may now be released, by the caller
   */
  boolean tryRetire() {
    return life.tryRetire();
  }

  /**
   * Waits until the thread that made this allocation has ended, or {@code timeout} has passed.
   *
   * @param timeout the longest wait
   * @throws InterruptedException if the waiting thread is interrupted
   */
  void awaitOwnerEnd(Duration timeout) throws InterruptedException {
    life.awaitOwnerEnd(timeout);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Identity, as {@link Object#equals}; overridden only with {@link #hashCode()}. */
  @Override
  public boolean equals(@Nullable Object other) {
    return this == other;
  }

  @Override
  public String toString() {
    return "InstanceAllocation[module="
        + module.descriptor().name()
        + ", memories="
        + memories.length
        + ", tables="
        + tables.length
        + (life.isClosed() ? ", closed" : "")
        + "]";
  }
}
