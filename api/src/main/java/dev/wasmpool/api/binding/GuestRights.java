package dev.wasmpool.api.binding;

import dev.wasmpool.api.internal.mpk.ProtectionMask;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.ProtectionKeys;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Which pool memory a thread may touch while it runs one instance's guest code, when the memory
 * pool is striped with protection keys (MPK); for runtime bindings, which switch the calling
 * thread's rights register (PKRU) around guest code.
 *
 * <p>Two contexts: <em>guest</em> rights allow key 0 (the Java heap, the JVM, guards, and every
 * unstriped memory) and the instance's stripe key only (widened by {@link #union} with the keys of
 * pooled memories the instance imports); <em>host</em> rights allow every key
 * (register value {@code 0}). A binding calls {@link #enterGuest()} before it runs guest code and
 * {@link #leave(int)} with the returned value on every way out (return, trap, exception), and
 * {@link #enterHost()} / {@link #leave(int)} around each host function the guest calls. {@link
 * #leave(int)} restores the previous guest rights when the switch was nested in another instance's
 * guest code, and host rights otherwise, so a thread whose register denied the keys when it first
 * ran an instance (Linux starts every thread with keys 1-15 denied, and {@code pkey_alloc} grants a
 * key to the allocating thread only) leaves with all keys allowed.
 *
 * <p>Without protection keys in use every allocation has {@link #UNRESTRICTED}, whose {@link
 * #restricts()} is {@code false}: a binding then installs no switching at all.
 *
 * <p>Immutable and thread-safe; each call affects only the calling thread's register.
 */
public final class GuestRights {

  /** The rights of an allocation from a pool without protection keys: nothing is ever switched. */
  public static final GuestRights UNRESTRICTED = new GuestRights(ProtectionKeys.NONE, ProtectionMask.all().bits(), false);

  /** Host rights: every key allowed. */
  private static final int HOST = ProtectionMask.all().bits();

  private final ProtectionKeys register;
  private final int guest;
  private final boolean restricts;

  private GuestRights(ProtectionKeys register, int guest, boolean restricts) {
    this.register = register;
    this.guest = guest;
    this.restricts = restricts;
  }

  /**
   * The rights of guest code whose memories carry {@code key}, or only key 0 for an instance
   * without memories.
   *
   * @param register the backend's rights register
   * @param key the instance's stripe key, or {@code null} when it has no memory
   * @return rights that restrict guest code to key 0 and {@code key}
   */
  public static GuestRights of(ProtectionKeys register, @Nullable ProtectionKey key) {
    Objects.requireNonNull(register, "register");
    ProtectionMask mask = key == null ? ProtectionMask.zero() : ProtectionMask.zero().or(key.value());
    return new GuestRights(register, mask.bits(), true);
  }

  /**
   * Whether these rights restrict guest code, i.e. whether a binding must switch at all.
   *
   * @return {@code false} for {@link #UNRESTRICTED}
   */
  public boolean restricts() {
    return restricts;
  }

  /**
   * The register value guest code runs with: bit {@code 2k} denies access to key {@code k}, bit
   * {@code 2k+1} denies writes.
   *
   * @return {@code 0} for {@link #UNRESTRICTED}
   */
  public int guestRegister() {
    return guest;
  }

  /**
   * Switches the calling thread to guest rights.
   *
   * @return the register value before, for {@link #leave(int)}
   */
  public int enterGuest() {
    return register.exchangeRights(guest);
  }

  /**
   * Switches the calling thread to host rights (every key), as a host function called from guest
   * code needs: it may touch any instance's memory.
   *
   * @return the register value before, for {@link #leave(int)}
   */
  public int enterHost() {
    return register.exchangeRights(HOST);
  }

  /**
   * Undoes {@link #enterGuest()} or {@link #enterHost()}: restores {@code previous} if it is the
   * rights of some instance's guest code (a nested switch: key 0 allowed, each other key either
   * allowed or denied for both reads and writes, some denied), and host rights otherwise.
   *
   * @param previous the value returned by the matching enter call
   */
  public void leave(int previous) {
    register.exchangeRights(new ProtectionMask(previous).isGuest() ? previous : HOST);
  }

  /**
   * Rights that also reach the memories {@code other} reaches, for an instance that imports
   * another instance's pooled memory.
   *
   * @param other the rights of the other memory
   * @return these rights widened by {@code other}'s key; this object if either does not restrict
   *     (unrestricted code needs no switch, and unrestricted memory is key 0)
   */
  public GuestRights union(GuestRights other) {
    if (!restricts || !other.restricts || (guest & other.guest) == guest) {
      return this;
    }
    return new GuestRights(
        register, new ProtectionMask(guest).union(new ProtectionMask(other.guest)).bits(), true);
  }

  @Override
  public String toString() {
    return restricts ? "GuestRights[pkru=0x" + Integer.toHexString(guest) + "]" : "GuestRights[unrestricted]";
  }
}
