package dev.wasmpool.api.internal.mpk;

/**
 * A value of the PKRU register: which protection keys the current thread may touch. Bit {@code 2k}
 * disables access to key {@code k}, bit {@code 2k+1} disables writes to it.
 *
 * <p>Pure arithmetic, no system access: the backend's {@code ProtectionKeys#setRights(int)}
 * writes the value. A thread that runs WebAssembly of a store on stripe {@code s} uses {@code
 * zero().or(keyOf(s))}: key 0 (host memory, guards) plus its own stripe; the host uses {@link
 * #all()}.
 *
 * @param bits the register value
 */
public record ProtectionMask(int bits) {

  /** Highest key number the register has bits for. */
  public static final int MAX_KEY = 15;

  /**
   * Every key allowed: the register value {@code 0}.
   *
   * @return the mask allowing all keys
   */
  public static ProtectionMask all() {
    return new ProtectionMask(0);
  }

  /**
   * Only key 0 allowed: every other key's access-disable and write-disable bits set ({@code
   * 0xFFFFFFFC}).
   *
   * @return the mask allowing key 0 only
   */
  public static ProtectionMask zero() {
    return new ProtectionMask(0xFFFF_FFFC);
  }

  /**
   * This mask with {@code key} allowed as well (both of its bits cleared).
   *
   * @param key the key, 0 to {@value #MAX_KEY}
   * @return the widened mask
   * @throws IllegalArgumentException if {@code key} is out of range
   */
  public ProtectionMask or(int key) {
    if (key < 0 || key > MAX_KEY) {
      throw new IllegalArgumentException("protection key must be in 0.." + MAX_KEY + " (was " + key + ")");
    }
    return new ProtectionMask(bits & ~(0b11 << (2 * key)));
  }

  /**
   * Whether this mask allows reads and writes of memory coloured with {@code key}.
   *
   * @param key the key, 0 to {@value #MAX_KEY}
   * @return {@code true} if neither of the key's bits is set
   */
  public boolean allows(int key) {
    if (key < 0 || key > MAX_KEY) {
      throw new IllegalArgumentException("protection key must be in 0.." + MAX_KEY + " (was " + key + ")");
    }
    return (bits >>> (2 * key) & 0b11) == 0;
  }

  /**
   * Whether this is the mask of guest code: key 0 allowed, at least one key denied, and each key
   * either fully allowed or fully denied (both of its bits equal). Host rights ({@link #all()}) and
   * Linux's initial register (keys 1-15 access-disabled only, {@code 0x55555554}) are not.
   *
   * @return {@code true} for {@code zero()} and {@code zero().or(k)...}
   */
  public boolean isGuest() {
    return (bits & 0b11) == 0 && bits != 0 && (((bits >>> 1) ^ bits) & 0x5555_5555) == 0;
  }

  /**
   * The mask allowing every key that this mask or {@code other} allows.
   *
   * @param other another mask
   * @return the union of the allowed keys
   */
  public ProtectionMask union(ProtectionMask other) {
    return new ProtectionMask(bits & other.bits);
  }

  /**
   * The register value in binary, for messages.
   *
   * @return for example {@code "pkru=0b11111111111111111111111111111100"}
   */
  @Override
  public String toString() {
    return "pkru=0b" + Integer.toBinaryString(bits);
  }
}
