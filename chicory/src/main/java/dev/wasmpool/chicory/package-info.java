/**
 * The Chicory binding: Chicory instances whose linear memories and tables live in a wasmpool
 * engine's pools.
 *
 * <p>Load a module once with {@link dev.wasmpool.chicory.PooledWasmModule#load}, then create
 * instances with {@link dev.wasmpool.chicory.PooledWasmModule#instantiate()}; each {@link
 * dev.wasmpool.chicory.PooledInstance} is a Chicory {@code Instance} whose memories are views of
 * pool slots and whose tables are stored in table slots. Closing it resets the slots and returns
 * them; closing the module purges its affine slots.
 *
 * <p>Glossary:
 *
 * <ul>
 *   <li><b>slot</b>: pre-reserved off-heap storage for one linear memory or one table.
 *   <li><b>image</b>: a module's constant-offset data laid out as a memory's initial contents,
 *       mapped copy-on-write on Linux; a pooled memory skips writing what the image holds.
 *   <li><b>affinity</b>: a free slot remembers the module it last served, so the next instance of
 *       that module finds its image already in place.
 * </ul>
 *
 * <p>Internals: {@code PooledMemory} implements Chicory's {@code Memory} over a slot, {@code
 * PooledTable} its {@code TableInstance}; {@code InstanceBinder} hands an allocation's slots to
 * Chicory's memory and table factories in index order; {@code ModuleShape} and {@code
 * DataSegmentCache} hold what is read from a module once.
 */
package dev.wasmpool.chicory;
