/**
 * The engine behind {@link dev.wasmpool.api.Engine}: module registration, instance allocation and
 * shutdown, composed over an allocation strategy.
 *
 * <h2>The flow of one instance</h2>
 *
 * <ol>
 *   <li>{@code register}: the strategy validates the module once ({@code ModuleValidator}); the
 *       module gets an identity (its affinity keys) and lazily built images.
 *   <li>{@code allocate}: one core instance is counted; each memory takes a slot of one stripe
 *       (round-robin, other stripes tried when it is full) and is instantiated in it (image in
 *       place, initial pages accessible); each table takes a zeroed slot; views of them are bound
 *       to a fresh {@code Lifetime}: an arena confined to the allocating thread for the local
 *       views, and a shared one made on first demand. Any failure gives back all that was taken.
 *   <li>{@code grow}: in place, under the lifetime's monitor, up to the memory's maximum.
 *   <li>{@code close} of the allocation: the arenas close first (stale handles die), then every
 *       slot is reset and freed, inline or through the decommit queue; closed on another thread
 *       than its owner, the allocation is an orphan until the owner's confined arena is closed.
 *   <li>{@code close} of the module: its affine slots are purged and its images released.
 * </ol>
 *
 * <h2>Strategies</h2>
 *
 * {@code PoolingAllocator} takes slots from fixed pools with every count bounded; {@code
 * OnDemandAllocator} reserves fresh memory per instance, the baseline pooling is measured against.
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.engine;
