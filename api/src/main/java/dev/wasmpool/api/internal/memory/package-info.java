/**
 * Linear-memory slots: the pool, each slot's image state, and modules' copy-on-write images.
 *
 * <h2>Glossary</h2>
 *
 * <dl>
 *   <dt>slab
 *   <dd>the one reservation holding every slot when the backend reserves address space virtually.
 *   <dt>stripe
 *   <dd>the slots coloured with one protection key; a store's memories all come from one stripe.
 *   <dt>image
 *   <dd>a module memory's initial contents (its constant data, trimmed and page-aligned), mapped
 *       copy-on-write into slots; shared by every slot that maps it.
 *   <dt>image slot
 *   <dd>what is known of one slot: the image it maps, its accessible size, and whether a failure
 *       left it unknown (then it is erased before reuse).
 *   <dt>purge
 *   <dd>removing a closed module's image from the slots affine to it (Wasmtime's "clear affine
 *       slots when dropping a Module").
 * </dl>
 *
 * <p>Not exported.
 */
package dev.wasmpool.api.internal.memory;
