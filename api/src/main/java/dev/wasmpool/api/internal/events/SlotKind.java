package dev.wasmpool.api.internal.events;

/** How an instance's memory slot was found, as the instantiate event reports it. */
public enum SlotKind {
  /** A warm slot last used by the same module (its image may still be in place). */
  AFFINE,
  /** A warm slot last used by another module. */
  WARM,
  /** A slot never used before. */
  COLD,
  /** Reserved for this instance alone (the on-demand strategy). */
  ON_DEMAND,
  /** The module defines no memory. */
  NONE;

  /** Made once: events ask for it on every commit. */
  private final String label = name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');

  /**
   * The name events and metrics show.
   *
   * @return for example {@code "on-demand"}
   */
  public String label() {
    return label;
  }
}
