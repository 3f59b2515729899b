package dev.wasmpool.api.internal.index;

import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Each platform thread's most recently released slot of one pool, reset and kept for that thread's
 * next instantiation, in front of the pool's {@link IndexAllocator}: the memory pool and the table
 * pool each have one.
 *
 * <p>Why: a thread that instantiates and closes one module again and again would otherwise take
 * and give back its slots through the pools' index allocators, whose locks every such thread
 * shares. Two threads doing that on two cores fall into step on a lock (a convoy) for long phases:
 * in {@code ConcurrencyBenchmark} single JVMs ran at 650–720 instead of 1000–1100 operations per
 * millisecond, with the same code and no compilation running, and a parking lock made it worse
 * (about 520, the one-thread rate). A kept slot is taken back without any shared write but the
 * slot's own.
 *
 * <p>To the index allocator a kept slot is in use; to the pool's metrics it is an unused warm slot.
 * A thread keeps one slot per pool: a second release while it keeps one frees the slot as usual.
 * The pool frees a kept slot when the thread asks for one it cannot use (the memory pool: another
 * module's or stripe's, given back as the allocator's most recently freed slot before the
 * allocator is asked, so with one thread slots are handed out in the allocator's order; table
 * slots have no affinity, so any kept one serves), when the pool runs out ({@link #drain} before
 * {@code PoolExhaustedException}), when a module is closed (the memory pool's purge drains every
 * thread's slot), and after the keeping thread has ended, once a new thread starts using the pool
 * ({@link #pollEnded}).
 *
 * <p>Virtual threads keep nothing: there may be millions of them, and they are not tied to a core.
 *
 * <p>Concurrency: each thread puts into and takes from its own entry only; any thread may {@link
 * #drain} all entries. Every exchange is an atomic swap of the entry's content, so a kept slot is
 * handed to exactly one taker.
 */
public final class ThreadSlotCache<K extends ThreadSlotCache.Kept> {

  /** A released, reset slot kept for a thread, with what its pool needs to free it later. */
  public interface Kept {
    /**
     * The slot.
     *
     * @return its index in the pool
     */
    int slot();

    /**
     * What the slot's reset left resident, for the metrics.
     *
     * @return bytes
     */
    long residentBytes();
  }

  /** One thread's place to keep a slot. */
  private static final class Entry<K> {
    final Thread thread;
    final AtomicReference<@Nullable K> kept = new AtomicReference<>();

    Entry(Thread thread) {
      this.thread = thread;
    }
  }

  /** Every entry ever made and not yet pruned; drained by any thread. */
  private final Queue<Entry<K>> entries = new ConcurrentLinkedQueue<>();

  /** This thread's entry, made on its first use; none for virtual threads. */
  private final ThreadLocal<@Nullable Entry<K>> local = new ThreadLocal<>();

  /** Slots kept by threads that ended, waiting for the pool to free them ({@link #pollEnded}). */
  private final Queue<K> ended = new ConcurrentLinkedQueue<>();

  private final LongAdder keptSlots = new LongAdder();
  private final LongAdder keptBytes = new LongAdder();

  private @Nullable Entry<K> entry() {
    Entry<K> entry = local.get();
    if (entry == null) {
      Thread thread = Thread.currentThread();
      if (thread.isVirtual()) {
        return null;
      }
      pruneEnded();
      entry = new Entry<>(thread);
      entries.add(entry);
      local.set(entry);
    }
    return entry;
  }

  /**
   * Takes the slot this thread keeps, if any.
   *
   * @return the kept slot, now the caller's; {@code null} if none
   */
  public @Nullable K take() {
    Entry<K> entry = entry();
    return entry == null ? null : counted(entry.kept.getAndSet(null));
  }

  /**
   * Keeps {@code slot} for this thread.
   *
   * @param slot a released, reset slot
   * @return {@code false} if this thread keeps nothing (a virtual thread, or it already keeps a
   *     slot): the caller frees the slot itself
   */
  public boolean put(K slot) {
    Entry<K> entry = entry();
    if (entry == null || !entry.kept.compareAndSet(null, slot)) {
      return false;
    }
    keptSlots.increment();
    keptBytes.add(slot.residentBytes());
    return true;
  }

  /**
   * Takes back the slot this thread just put, if no other thread has drained it since.
   *
   * @param slot what {@link #put} kept
   * @return whether the caller has it back
   */
  public boolean takeBack(K slot) {
    Entry<K> entry = entry();
    if (entry == null || !entry.kept.compareAndSet(slot, null)) {
      return false;
    }
    counted(slot);
    return true;
  }

  /**
   * Takes every kept slot, of every thread, and gives each to {@code to}.
   *
   * @param to receives each slot
   * @return whether any slot was drained
   */
  public boolean drain(Consumer<? super K> to) {
    boolean any = false;
    for (K kept; (kept = pollEnded()) != null; ) {
      to.accept(kept);
      any = true;
    }
    for (Entry<K> entry : entries) {
      K kept = counted(entry.kept.getAndSet(null));
      if (kept != null) {
        to.accept(kept);
        any = true;
      }
    }
    return any;
  }

  /**
   * Takes a slot that a thread which has ended kept; the pool frees these before it asks an index
   * allocator for a slot. Cheap when there are none.
   *
   * @return such a slot, now the caller's; {@code null} if none
   */
  public @Nullable K pollEnded() {
    return counted(ended.poll());
  }

  /** Slots kept now, over all threads. */
  public int keptSlots() {
    return keptSlots.intValue();
  }

  /** Bytes the kept slots have resident. */
  public long keptBytes() {
    return keptBytes.sum();
  }

  /**
   * Removes the entries of threads that ended (when a new thread registers, so the entries stay as
   * many as the threads alive), moving what they kept to {@link #pollEnded}.
   */
  private void pruneEnded() {
    for (Iterator<Entry<K>> it = entries.iterator(); it.hasNext(); ) {
      Entry<K> entry = it.next();
      if (!entry.thread.isAlive()) {
        it.remove();
        K kept = entry.kept.getAndSet(null);
        if (kept != null) {
          ended.add(kept); // still counted as kept until polled
        }
      }
    }
  }

  private @Nullable K counted(@Nullable K taken) {
    if (taken != null) {
      keptSlots.decrement();
      keptBytes.add(-taken.residentBytes());
    }
    return taken;
  }
}
