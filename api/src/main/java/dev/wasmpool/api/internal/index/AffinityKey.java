package dev.wasmpool.api.internal.index;

/**
 * What a slot is affine to: one defined memory (or table) of one loaded module. Immutable.
 *
 * @param moduleId the engine's identity for the loaded module, unique for the engine's lifetime
 * @param index the index of the memory (or table) among the module's defined ones
 */
public record AffinityKey(long moduleId, int index) {}
