package dev.wasmpool.api.internal.engine;

import dev.wasmpool.spi.Reservation;

/**
 * A table given to an instance, before it is wrapped for the tenant: zeroed, accessible storage.
 *
 * @param slotIndex the table pool's slot index, or {@code -1} for an on-demand table
 * @param reservation holds the storage
 * @param offset the storage's offset in the reservation
 * @param initialElements the table's declared initial size
 * @param maximumElements the most elements it may hold; the storage is 8 bytes each
 */
record TableGrant(
    int slotIndex, Reservation reservation, long offset, long initialElements, long maximumElements) {}
