package dev.wasmpool.linux;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.ProtectionKeys;
import java.util.ArrayList;
import java.util.List;

/**
 * Protection keys through glibc's {@code pkey_*} functions; only created once {@link
 * ProtectionKeyProbe} proved support.
 *
 * <p>Keys live for the process: allocated on first demand, never freed, shared by every backend.
 * The rights register is written key by key with {@code pkey_set} (sixteen calls for a whole
 * register), which is correct but slower than a single {@code WRPKRU}; Java cannot issue that
 * instruction directly. {@link #exchangeRights(int)}, which guest entry and exit use, reads the
 * sixteen fields ({@code pkey_get}) and writes only those that change.
 *
 * <p>Thread-safe: the key list is guarded by {@link #KEYS}; rights are per thread by nature.
 */
final class LinuxProtectionKeys implements ProtectionKeys {

  /** The number of keys (and of two-bit fields in the rights register) on x86-64. */
  private static final int REGISTER_KEYS = 16;

  /** The keys this process allocated, in allocation order; guarded by itself. */
  private static final List<ProtectionKey> KEYS = new ArrayList<>();

  /** The facility; stateless apart from the process-wide key list. */
  LinuxProtectionKeys() {}

  @Override
  public List<ProtectionKey> allocate(int max) {
    if (max < 0) {
      throw new BackendException(
          "pkey_alloc", "max=" + max, "max must not be negative (was " + max + ")");
    }
    synchronized (KEYS) {
      int wanted = Math.min(max, ProtectionKeyProbe.MAX_KEYS);
      while (KEYS.size() < wanted) {
        int key;
        try {
          key = PkeyCalls.alloc();
        } catch (BackendException e) {
          if (e.errno() == Errno.ENOSPC) {
            break; // another library holds the rest
          }
          throw e;
        }
        KEYS.add(new ProtectionKey(key));
      }
      return List.copyOf(KEYS.subList(0, Math.min(wanted, KEYS.size())));
    }
  }

  /**
   * Whether this process allocated {@code key} through this facility.
   *
   * @param key the key
   * @return true if it was handed out by {@link #allocate(int)}
   */
  boolean allocated(ProtectionKey key) {
    synchronized (KEYS) {
      return KEYS.contains(key);
    }
  }

  @Override
  public void setRights(int pkru) {
    for (int key = 0; key < REGISTER_KEYS; key++) {
      PkeyCalls.set(key, (pkru >>> (2 * key)) & 0b11);
    }
  }

  @Override
  public int exchangeRights(int pkru) {
    int previous = rights();
    int changed = previous ^ pkru;
    for (int key = 0; changed != 0; key++, changed >>>= 2) {
      if ((changed & 0b11) != 0) {
        PkeyCalls.set(key, (pkru >>> (2 * key)) & 0b11);
      }
    }
    return previous;
  }

  @Override
  public int rights() {
    int pkru = 0;
    for (int key = 0; key < REGISTER_KEYS; key++) {
      pkru |= (PkeyCalls.get(key) & 0b11) << (2 * key);
    }
    return pkru;
  }
}
