package dev.wasmpool.api.internal.memory;

import dev.wasmpool.api.internal.slots.SlotPool;
import dev.wasmpool.spi.ProtectionKey;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * One protection-key stripe of the memory pool: every {@code stripes}-th slot, starting at {@code
 * index}, coloured with one key and handed out by its own {@link SlotPool} (with the full warm-slot
 * budget). Without protection keys the pool has one stripe holding every slot.
 *
 * <p>Global slot {@code g} belongs to stripe {@code g % stripes} at local index {@code g /
 * stripes}.
 *
 * @param index the stripe's number, from 0
 * @param slots hands out the stripe's local slot indexes
 * @param key the stripe's colour, or {@code null} when the pool is not striped
 */
public record Stripe(int index, SlotPool slots, @Nullable ProtectionKey key) {}
