package dev.wasmpool.api.internal.events;

import java.util.Locale;

/** How an instance's memory slot was found, as the instantiate event reports it. */
public enum SlotKind {
  /** A warm slot last used by the same module (its image may still be in place). */
  AFFINE,
  /** A warm slot last used by another module. */
  WARM,
  /** A slot never used before. */
  COLD,
  /** Taken from the pool by an allocator that does not report which of the three it was. */
  /** Reserved for this instance alone (the on-demand strategy). */
  ON_DEMAND,
  /** The module defines no memory. */
  NONE;

  /**
   * The name events and metrics show.
   *
   * @return for example {@code "on-demand"}
   */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
