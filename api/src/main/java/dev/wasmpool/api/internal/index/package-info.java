/**
 * Slot selection for the engine's pools: which free slot a new instance gets.
 *
 * <h2>Glossary</h2>
 *
 * <dl>
 *   <dt>slot
 *   <dd>one entry of a pool, named by its index {@code 0 .. capacity-1}.
 *   <dt>cold
 *   <dd>a slot never handed out since the pool was created; it holds nothing.
 *   <dt>warm
 *   <dd>an unused slot that was used before; it may still hold its last module's memory image
 *       and some resident bytes.
 *   <dt>affinity
 *   <dd>the {@link dev.wasmpool.api.internal.index.AffinityKey} (module and memory index) a slot
 *       was last used for; reusing a slot for the same key is the cheapest reuse.
 *   <dt>warm budget
 *   <dd>{@code maxUnusedWarmSlots}: how many unused warm slots the allocator tolerates before it
 *       recycles warm slots of other modules rather than touching cold ones.
 * </dl>
 *
 * <p>Not exported: the engine is the only user.
 */
package dev.wasmpool.api.internal.index;
