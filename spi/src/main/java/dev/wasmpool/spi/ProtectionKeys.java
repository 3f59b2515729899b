package dev.wasmpool.spi;

import java.util.List;

/**
 * Memory protection keys (Intel MPK, "pku" on Linux): colour ranges with a key, then let each
 * thread's rights register (PKRU) decide which colours it may touch.
 *
 * <p>Keys are a process-wide resource: a backend allocates them once and never frees them, and
 * every engine shares them. Thread-safe; {@link #setRights(int)} affects only the calling thread.
 */
public interface ProtectionKeys {

  /** The facility of a backend without protection keys: no keys, and rights always "all". */
  ProtectionKeys NONE =
      new ProtectionKeys() {
        @Override
        public List<ProtectionKey> allocate(int max) {
          return List.of();
        }

        @Override
        public void setRights(int pkru) {
          if (pkru != 0) {
            throw new BackendException(
                "pkru_write", "pkru=0x" + Integer.toHexString(pkru), "protection keys unsupported");
          }
        }

        @Override
        public int rights() {
          return 0;
        }
      };

  /**
   * Allocates up to {@code max} keys, or returns the ones allocated earlier in this process.
   *
   * @param max the largest number of keys wanted
   * @return the keys, in allocation order; empty when unsupported
   * @throws BackendException if the system fails in an unexpected way
   */
  List<ProtectionKey> allocate(int max);

  /**
   * Sets the calling thread's rights register. Bit {@code 2k} disables access to key {@code k},
   * bit {@code 2k+1} disables writes; {@code 0} allows everything.
   *
   * @param pkru the new register value
   * @throws BackendException if keys are unsupported and {@code pkru} is not {@code 0}
   */
  void setRights(int pkru);

  /**
   * The calling thread's rights register.
   *
   * @return its value; {@code 0} when keys are unsupported
   */
  int rights();

  /**
   * Sets the calling thread's rights register and returns its previous value: the one operation a
   * runtime needs to enter and leave guest code. Writes nothing when the register already holds
   * {@code pkru}. A backend may override this with a cheaper sequence (for example writing only the
   * keys whose rights change).
   *
   * @param pkru the new register value
   * @return the value before
   * @throws BackendException if keys are unsupported and {@code pkru} is not {@code 0}
   */
  default int exchangeRights(int pkru) {
    int previous = rights();
    if (previous != pkru) {
      setRights(pkru);
    }
    return previous;
  }
}
