package dev.wasmpool.api.binding;

import java.util.List;

/**
 * The pooled resources of one instance: an instance slot, its memories and its tables. Closing it
 * resets the slots and returns them to the pools; every segment handed out becomes unusable.
 *
 * <p>Every segment it hands out is bound to an {@link java.lang.foreign.Arena} owned by the
 * allocation: {@link LinearMemory#segment()} and {@link TableSlot#elements()} to a shared arena,
 * made on first demand, that any thread may use; {@link LinearMemory#localSegment()} and {@link
 * TableSlot#localElements()}, on the thread that made the allocation (its <em>owner</em>), to a
 * confined arena, much cheaper to close. {@link #close()} closes the arenas first, so that any
 * later access through a kept segment throws {@link IllegalStateException}, and only then resets
 * the slots for their next tenant.
 *
 * <p>Only the owner can close the confined arena. When another thread closes the allocation while
 * the owner is still running, the shared segments die at once, but the owner's local segments stay
 * usable by the owner (and by no other thread) on this tenant's own bytes. With the pooling
 * strategy the slots are freed at once all the same: each slot index gets a fresh address range
 * for its next tenants, and the old range, which only those local segments reach, is taken back
 * (reset, kept as a spare range for the next such close) once the owner next allocates or closes
 * an allocation of the engine or has ended. So the pool never shrinks while an owner lives, and
 * the address space kept is one slot's per allocation closed this way and not yet taken back. A
 * pool that cannot reserve a fresh range (or one striped by protection keys) keeps the slots
 * themselves until then. No segment can reach a slot's next tenant either way.
 * When the engine itself is closed meanwhile, see {@link dev.wasmpool.api.Engine#close()}: on Linux the owner's
 * local segments are revoked then, and its accesses fail.
 *
 * <p>An allocation that becomes unreachable without being closed (neither it nor any of its
 * {@link #memories()} or {@link #tables()} is referred to any more; segments taken from them do
 * not count) is closed by the engine once the garbage collector finds it, as if by another thread,
 * and logged as a leak; see {@link
 * dev.wasmpool.api.PoolingAllocationConfig.Builder#leakDetectionThreshold(java.time.Duration)}.
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public interface InstanceAllocation extends AutoCloseable {

  /**
   * The module this allocation was made for.
   *
   * @return the module
   */
  PooledModule module();

  /**
   * The linear memories, one per defined memory, in index order.
   *
   * @return the memories
   */
  List<LinearMemory> memories();

  /**
   * The tables, one per defined table, in index order.
   *
   * @return the tables
   */
  List<TableSlot> tables();

  /**
   * The rights a thread running this instance's guest code gets: key 0 and the stripe key of the
   * instance's memories when the memory pool is striped with protection keys, {@link
   * GuestRights#UNRESTRICTED} otherwise. Runtime bindings switch to them around guest code.
   *
   * @return the rights, the same object for the allocation's whole life
   */
  GuestRights guestRights();

  /**
   * Whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  boolean isClosed();

  /**
   * Sets what a runtime binding must do when this allocation closes, before its memory goes: for
   * example cut its own memory objects loose, so that they fail every later access. It runs on
   * whatever thread closes the allocation, also when {@link dev.wasmpool.api.Engine#close()} closes an allocation
   * still open, and may run more than once; it must be quick and must not throw. A second call
   * replaces the first. The action is held only as long as the allocation, one of its memories or
   * one of its tables is reachable, so it may refer to the binding's own instance object: a close
   * after the allocation became unreachable (see the class comment) may not run it.
   *
   * @param action the action
   */
  void whenClosed(Runnable action);

  /**
   * Closes the allocation's arenas, then resets the slots and returns them to the pools (called on
   * another thread than the owner, see the class comment for when the slots return). Later calls
   * do nothing. If the module was closed meanwhile, its image is removed from the slots.
   *
   * @throws IllegalStateException if a segment of this allocation is in use by a native call on
   *     another thread (the arena cannot close); the allocation then stays open
   */
  @Override
  void close();
}
