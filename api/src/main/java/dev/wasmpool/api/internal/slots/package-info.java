/**
 * The one slot lifecycle shared by the memory and table pools: {@link
 * dev.wasmpool.api.internal.slots.SlotPool} takes slots from its index allocator (with the
 * exhaustion retry), resets them on release (inline or through the decommit queue), frees them
 * and purges a closed module's affine slots. What a slot holds is the pool's business, behind
 * {@link dev.wasmpool.api.internal.slots.SlotContents}.
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.slots;
