/**
 * Where linear memory slots sit in the memory pool's one reservation of address space, and
 * whether that reservation fits the process.
 *
 * <pre>
 *   without protection keys (one stripe):
 *   | pre guard | slot 0              | slot 1              | ... | slot n-1            | post |
 *               |&lt;- reservation + guard -&gt;|
 *   each slot's tail is the guard of its own memory and, at the same time, the region in front of
 *   the next slot, so no separate guard sits between slots.
 *
 *   with k stripes (protection keys), slots coloured 0,1,..,k-1,0,1,..:
 *   | pre guard | s0:key0 | s1:key1 | s2:key2 | s3:key0 | ...                  | post guard |
 *   a running instance may touch only its own key's slots, so the k-1 slots after its own
 *   act as its guard: slot_bytes * k covers reservation + guard with smaller slots.
 * </pre>
 *
 * <p>{@link dev.wasmpool.api.internal.layout.SlabLayout#calculate} is pure arithmetic, kept apart
 * from the backend that maps the slab. Not exported: the engine is the only user.
 */
package dev.wasmpool.api.internal.layout;
