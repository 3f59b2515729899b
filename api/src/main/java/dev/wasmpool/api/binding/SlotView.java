package dev.wasmpool.api.binding;

import java.lang.foreign.MemorySegment;
import java.util.function.Supplier;

/**
 * A runtime's view of one pool slot (a linear memory or a table): the segment accesses go through,
 * the switch to the allocation's shared view when another thread touches the slot, revocation when
 * the instance closes, and the error that names a closed instance. Used alike by every binding's
 * memories (which extend it, through {@link SlotMemory}) and tables (which hold one).
 *
 * <p>The current segment starts as the allocation's local view, confined to the thread that made
 * the allocation (closing it costs nothing). An access from another thread fails with {@link
 * WrongThreadException} before it reads or writes anything; {@link #sharedAfter(RuntimeException)}
 * then switches to the shared view any thread may use. A thread that reads a stale value of the
 * field reads a view valid for it, or fails and switches again.
 *
 * <p>{@link #revoke()} replaces the segment with an empty one, so that every later access fails on
 * the slow path, which reports the closed instance: no check on the fast path.
 *
 * <p>Thread-safety: as described; {@link #replace(MemorySegment)} must not race with accesses.
 */
public class SlotView {

  /** The segment accesses use; see the class comment. Empty once revoked. */
  protected MemorySegment segment;

  private final Supplier<MemorySegment> shared;

  /** What the slot is, for messages ({@code "memory"}), or its whole name when {@link #index} < 0. */
  private final String kind;

  /** The slot's index after {@link #kind} in messages, or -1. Kept apart so no name is built per view. */
  private final int index;

  /** The slot's rights; when they restrict, other threads never get the shared view to keep. */
  private final GuestRights rights;

  /** Set by {@link #revoke()}. */
  private boolean revoked;

  /**
   * Creates a view.
   *
   * @param local the segment to start with: the allocation's local view ({@link
   *     LinearMemory#localSegment()}, {@link TableSlot#localElements()})
   * @param shared the allocation's shared view, asked for when another thread accesses the slot
   *     ({@link LinearMemory#segment()}, {@link TableSlot#elements()}); it throws {@link
   *     IllegalStateException} once the allocation is closed
   * @param name what the slot is, for messages: for example {@code "memory 0"}
   */
  public SlotView(MemorySegment local, Supplier<MemorySegment> shared, String name) {
    this(local, shared, name, GuestRights.UNRESTRICTED);
  }

  /**
   * Creates a view over a slot that may be striped with a protection key.
   *
   * <p>With rights that {@link GuestRights#restricts() restrict}, the view keeps the owner's local
   * segment even after another thread's access: Linux starts each thread with the stripe keys
   * denied, so every access from another thread must come through {@link
   * #sharedAfter(RuntimeException)}, which gives that thread host rights ({@link
   * GuestRights#reachFromHost()}) before it touches the slot. Such accesses pay the slow path each
   * time.
   *
   * @param local the segment to start with, as for {@link #SlotView(MemorySegment, Supplier,
   *     String)}
   * @param shared the allocation's shared view, as for {@link #SlotView(MemorySegment, Supplier,
   *     String)}
   * @param name what the slot is, for messages
   * @param rights the rights of the slot's allocation ({@link LinearMemory#guestRights()})
   */
  public SlotView(MemorySegment local, Supplier<MemorySegment> shared, String name, GuestRights rights) {
    this(local, shared, name, -1, rights);
  }

  /**
   * Creates a view whose messages name the slot as {@code kind + " " + index}, a string made only
   * when a message needs it.
   *
   * @param local the segment to start with, as for {@link #SlotView(MemorySegment, Supplier,
   *     String)}
   * @param shared the allocation's shared view, as for {@link #SlotView(MemorySegment, Supplier,
   *     String)}
   * @param kind what the slot is: for example {@code "memory"}
   * @param index the slot's index ({@link LinearMemory#index()}), at least 0
   * @param rights the rights of the slot's allocation, as for {@link #SlotView(MemorySegment,
   *     Supplier, String, GuestRights)}
   */
  public SlotView(MemorySegment local, Supplier<MemorySegment> shared, String kind, int index, GuestRights rights) {
    this.segment = local;
    this.shared = shared;
    this.kind = kind;
    this.index = index;
    this.rights = rights;
  }

  /**
   * A view over a linear memory, starting with its local segment.
   *
   * @param memory the memory
   * @return the view
   */
  public static SlotView of(LinearMemory memory) {
    return new SlotView(memory.localSegment(), memory::segment, "memory", memory.index(), memory.guestRights());
  }

  /**
   * A view over a table slot, starting with its local elements.
   *
   * @param table the table slot
   * @return the view
   */
  public static SlotView of(TableSlot table) {
    return new SlotView(table.localElements(), table::elements, "table", table.index(), GuestRights.UNRESTRICTED);
  }

  /**
   * The segment to access now.
   *
   * @return the current segment
   */
  public final MemorySegment segment() {
    return segment;
  }

  /**
   * Replaces the segment, after the slot grew (the new one covers the new size).
   *
   * @param grown the slot's segment after growth
   */
  protected final void replace(MemorySegment grown) {
    segment = grown;
  }

  /**
   * The slow path of an access that failed: for a {@link WrongThreadException}, switches to the
   * shared view and returns it, so the access can run again (the failed one wrote nothing). The
   * same for an {@link IllegalStateException} while the instance is open: the view was one that a
   * growth ended because the storage moved (see {@link LinearMemory#segment()}), read by a thread
   * that had not seen the new one yet; the access runs again on the current view (what the failed
   * one may have written went to the old storage, which no view reaches any more). Anything else,
   * and any failure once the instance is closed, is rethrown as {@link #diagnose(RuntimeException)}
   * says. On a striped slot the calling thread gets host rights first, unless it runs guest code,
   * and the view stays the owner's (see {@link #SlotView(MemorySegment, Supplier, String,
   * GuestRights)}).
   *
   * @param failure what the access threw
   * @return the shared segment
   * @throws RuntimeException the failure, or {@link IllegalStateException} naming the closed
   *     instance
   */
  public final MemorySegment sharedAfter(RuntimeException failure) {
    boolean retried =
        failure instanceof WrongThreadException
            || (failure instanceof IllegalStateException && !revoked);
    if (!retried) {
      throw diagnose(failure);
    }
    MemorySegment view;
    try {
      view = shared.get();
    } catch (IllegalStateException closed) {
      closed.addSuppressed(failure);
      throw closedFailure(closed);
    }
    if (rights.restricts()) {
      rights.reachFromHost();
      return view;
    }
    segment = view;
    return view;
  }

  /**
   * What a failed access means: after {@link #revoke()}, or on a segment whose arena is closed,
   * the {@link IllegalStateException} of {@link #closedFailure(Throwable)}; otherwise the failure
   * itself.
   *
   * @param failure what the access threw
   * @return the exception to throw
   */
  public RuntimeException diagnose(RuntimeException failure) {
    if (revoked || (failure instanceof IllegalStateException && !segment.scope().isAlive())) {
      return closedFailure(failure);
    }
    return failure;
  }

  /**
   * Cuts the view loose from its slot: every later access fails with {@link IllegalStateException}.
   * Called by the instance's close, on any thread, before the allocation closes.
   */
  public final void revoke() {
    revoked = true;
    segment = MemorySegment.NULL;
  }

  /**
   * Whether {@link #revoke()} was called.
   *
   * @return {@code true} once revoked
   */
  public final boolean isRevoked() {
    return revoked;
  }

  /**
   * The error of an access to a closed instance's slot.
   *
   * @param cause what the access threw
   * @return an {@link IllegalStateException} (not a WebAssembly trap) naming the slot
   */
  public final IllegalStateException closedFailure(Throwable cause) {
    return new IllegalStateException(
        (index < 0 ? kind : kind + " " + index) + " belongs to a closed instance; its slot went back to the pool", cause);
  }
}
