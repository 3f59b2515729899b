package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.internal.events.SlotKind;
import dev.wasmpool.api.internal.memory.ImageSlot;

/**
 * A linear memory given to an instance, before it is wrapped for the tenant.
 *
 * @param slotIndex the memory pool's slot index, or {@code -1} for an on-demand memory
 * @param slot the slot, instantiated: the image in place and the initial pages accessible
 * @param initialPages the memory's size now, in WebAssembly pages
 * @param maximumPages the most pages it may grow to
 * @param imageInPlace whether the module's constant data is in place
 * @param kind how the slot was found (affine, warm, cold; on-demand without a pool)
 */
record MemoryGrant(
    int slotIndex,
    ImageSlot slot,
    long initialPages,
    long maximumPages,
    boolean imageInPlace,
    SlotKind kind) {}
