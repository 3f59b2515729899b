package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.PooledModule;
import dev.wasmpool.api.binding.TableSlot;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * An {@link Allocation} as its user holds it, with the token whose reachability tells the {@link
 * LeakDetector} whether anyone can still use or close the allocation.
 *
 * <p>The engine keeps every open {@link Allocation} (to close it with the engine), so the
 * allocation itself never becomes unreachable. The token is what the engine does not keep, and
 * everything a runtime may keep to reach the instance's slots keeps it: this handle, and its
 * memories and tables, handed out wrapped ({@link Memory}, {@link Table}) so that a runtime's
 * memory object (Chicory's, for one) keeps the token reachable as long as the runtime's instance
 * is. Only segments taken from them do not; they die when the allocation closes, as after any
 * close.
 *
 * <p>The binding's close action ({@link #whenClosed}) is held by the token and only weakly by the
 * allocation: it usually reaches the binding's instance, which holds this handle, and a strong
 * reference from the allocation would keep the handle reachable for ever. Held by the token, it
 * lives as long as anything that can still use the allocation, so a close by the engine still
 * runs it.
 *
 * <p>Thread-safe, as the allocation.
 */
final class TrackedAllocation implements InstanceAllocation {

  private final Allocation allocation;
  private final List<LinearMemory> memories;
  private final List<TableSlot> tables;

  /** Reachable while this handle or one of its memories or tables is; registered with the cleaner. */
  private final Token token = new Token();

  /** Registered with the leak detector's cleaner; {@link #close()} deregisters it. */
  private final Cleaner.Cleanable cleanable;

  /**
   * Wraps an allocation and registers the wrapper with a cleaner.
   *
   * @param allocation the allocation
   * @param cleaner the cleaner
   * @param ended runs once: when {@link #close()} has closed the allocation, or when the token
   *     became unreachable; it must not reach this handle, its memories or its tables
   */
  TrackedAllocation(Allocation allocation, Cleaner cleaner, Runnable ended) {
    this.allocation = allocation;
    List<LinearMemory> m = allocation.memories();
    Memory[] wrappedMemories = new Memory[m.size()];
    for (int i = 0; i < wrappedMemories.length; i++) {
      wrappedMemories[i] = new Memory(m.get(i), token);
    }
    this.memories = List.of(wrappedMemories);
    List<TableSlot> t = allocation.tables();
    Table[] wrappedTables = new Table[t.size()];
    for (int i = 0; i < wrappedTables.length; i++) {
      wrappedTables[i] = new Table(t.get(i), token);
    }
    this.tables = List.of(wrappedTables);
    this.cleanable = cleaner.register(token, ended);
  }

  /** The allocation behind this handle, for the engine's tests. */
  Allocation allocation() {
    return allocation;
  }

  @Override
  public PooledModule module() {
    return allocation.module();
  }

  @Override
  public List<LinearMemory> memories() {
    return memories;
  }

  @Override
  public List<TableSlot> tables() {
    return tables;
  }

  @Override
  public GuestRights guestRights() {
    return allocation.guestRights();
  }

  @Override
  public boolean isClosed() {
    return allocation.isClosed();
  }

  @Override
  public void whenClosed(Runnable action) {
    token.whenClosed = java.util.Objects.requireNonNull(action, "action");
    allocation.whenClosed(new WeakAction(action));
  }

  /**
   * Closes the allocation, then deregisters from the cleaner (which runs the end action here, once).
   * If the close throws, the allocation stays open and registered.
   */
  @Override
  public void close() {
    try {
      allocation.close();
      cleanable.clean();
    } finally {
      // Not unreachable while closing: the cleaner must not run the end action meanwhile.
      Reference.reachabilityFence(token);
    }
  }

  @Override
  public String toString() {
    return allocation.toString();
  }

  /** What the cleaner watches: its reachability, and the close action it keeps alive. */
  private static final class Token {

    /** The binding's close action, reachable while the token is; see the class comment. */
    volatile @Nullable Runnable whenClosed;
  }

  /** Runs an action while something else keeps it reachable. */
  private static final class WeakAction implements Runnable {

    private final WeakReference<Runnable> action;

    WeakAction(Runnable action) {
      this.action = new WeakReference<>(action);
    }

    @Override
    public void run() {
      Runnable target = action.get();
      if (target != null) {
        target.run();
      }
    }
  }

  /** A memory of the allocation that keeps the token reachable; every call is the memory's. */
  private static final class Memory implements LinearMemory {

    private final LinearMemory memory;

    /** Held for reachability. */
    private final Token token;

    Memory(LinearMemory memory, Token token) {
      this.memory = memory;
      this.token = token;
    }

    @Override
    public int index() {
      return memory.index();
    }

    @Override
    public MemorySegment segment() {
      return memory.segment();
    }

    @Override
    public MemorySegment localSegment() {
      return memory.localSegment();
    }

    @Override
    public long pages() {
      return memory.pages();
    }

    @Override
    public long maximumPages() {
      return memory.maximumPages();
    }

    @Override
    public long grow(long deltaPages) {
      try {
        return memory.grow(deltaPages);
      } finally {
        Reference.reachabilityFence(token);
      }
    }

    @Override
    public boolean imageInPlace() {
      return memory.imageInPlace();
    }

    @Override
    public GuestRights guestRights() {
      return memory.guestRights();
    }

    @Override
    public String toString() {
      return memory.toString();
    }
  }

  /** A table of the allocation that keeps the token reachable; every call is the table's. */
  private static final class Table implements TableSlot {

    private final TableSlot table;

    /** Held for reachability. */
    private final Token token;

    Table(TableSlot table, Token token) {
      this.table = table;
      this.token = token;
    }

    @Override
    public int index() {
      return table.index();
    }

    @Override
    public long initialElements() {
      return table.initialElements();
    }

    @Override
    public long maximumElements() {
      return table.maximumElements();
    }

    @Override
    public MemorySegment elements() {
      return table.elements();
    }

    @Override
    public MemorySegment localElements() {
      return table.localElements();
    }

    @Override
    public String toString() {
      return table.toString();
    }
  }
}
