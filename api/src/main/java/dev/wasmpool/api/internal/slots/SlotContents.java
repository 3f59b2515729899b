package dev.wasmpool.api.internal.slots;

import dev.wasmpool.spi.DecommitBatch;

/**
 * What a {@link SlotPool} asks of the slots it hands out: the memory pool's image slots, the
 * table pool's table slots. Each method is called only by the slot's current owner (the pool,
 * between a tenant's release and the slot's return to the free lists), and none throws: a failure
 * leaves the slot marked for erasure before its next tenant.
 */
public interface SlotContents {

  /**
   * The bytes a released slot's tenant could have written (what a reset covers), for the reset
   * event.
   *
   * @param slot the slot
   * @return bytes
   */
  long tenantBytes(int slot);

  /**
   * Resets a released slot now: its keep-resident prefix restored by writing, the rest
   * decommitted.
   *
   * @param slot the slot
   * @return the bytes left resident
   */
  long reset(int slot);

  /**
   * Resets a released slot but leaves the decommit of the rest to {@code deferred}.
   *
   * @param slot the slot
   * @param deferred receives the slot's ranges left to decommit; empty if none is left
   * @return the bytes left resident once the batch is decommitted
   */
  long reset(int slot, DecommitBatch deferred);

  /**
   * The batch that held this slot's ranges failed: nothing is known of its contents.
   *
   * @param slot the slot
   */
  void decommitFailed(int slot);

  /**
   * Hands everything a free, idle slot holds back to the system: its image removed, every
   * accessible byte decommitted (the keep-resident prefix too).
   *
   * @param slot the slot, taken from the free lists for the trim
   */
  void trim(int slot);

  /**
   * Removes from a free slot what ties it to a closed module (its memory image).
   *
   * @param slot the slot, taken from the free lists for the purge
   * @return the bytes left resident
   */
  long purge(int slot);
}
