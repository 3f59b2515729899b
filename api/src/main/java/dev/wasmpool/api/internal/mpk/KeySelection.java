package dev.wasmpool.api.internal.mpk;

import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.ProtectionKey;
import java.util.List;

/**
 * Decides which protection keys a memory pool stripes its slots with, from the configured {@link
 * MemoryProtectionKeys} mode and what the backend offers.
 *
 * <p>The backend is asked for keys only when its capabilities report some: on machines without
 * PKU the {@code pkey_*} calls must never run (glibc's wrappers crash the JVM there).
 */
public final class KeySelection {

  /** The error of {@link MemoryProtectionKeys#ENABLE} on a system without keys, as in Wasmtime. */
  public static final String MPK_DISABLED = "mpk is disabled on this system";

  private KeySelection() {}

  /**
   * The keys to stripe with.
   *
   * @param mode the configured mode
   * @param maxKeys the most keys to use ({@code maxMemoryProtectionKeys})
   * @param backend the engine's backend
   * @return the keys in stripe order; empty when keys are not used
   * @throws IllegalStateException {@value #MPK_DISABLED} if {@code mode} is {@code ENABLE} and the
   *     backend has no keys
   */
  public static List<ProtectionKey> select(MemoryProtectionKeys mode, int maxKeys, Backend backend) {
    if (mode == MemoryProtectionKeys.DISABLE) {
      return List.of();
    }
    List<ProtectionKey> keys =
        backend.capabilities().protectionKeys() > 0 && maxKeys > 0
            ? List.copyOf(backend.protectionKeys().allocate(maxKeys))
            : List.of();
    if (keys.isEmpty() && mode == MemoryProtectionKeys.ENABLE) {
      throw new IllegalStateException(MPK_DISABLED);
    }
    if (keys.size() < 2 && mode == MemoryProtectionKeys.AUTO) {
      // One key cannot colour neighbours differently: striping needs two.
      return List.of();
    }
    return keys.size() > maxKeys ? keys.subList(0, maxKeys) : keys;
  }
}
