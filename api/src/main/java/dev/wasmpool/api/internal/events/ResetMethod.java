package dev.wasmpool.api.internal.events;

/** How a slot's bytes were brought back to zero (or to the module's image). */
public enum ResetMethod {
  /** The keep-resident prefix written over (zero fill or image copy). */
  FILL,
  /** Pages handed back to the operating system ({@code madvise(MADV_DONTNEED)}). */
  DECOMMIT,
  /** Both: the prefix filled, the rest decommitted. */
  FILL_AND_DECOMMIT,
  /** The whole slot erased after a failure or an unknown state. */
  ERASE;

  /** Made once: events ask for it on every commit. */
  private final String label = name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');

  /** The names as events show them, for the field's description. */
  static final String NAMES = "fill, decommit, fill-and-decommit, erase";

  /**
   * The name events and metrics show.
   *
   * @return for example {@code "fill-and-decommit"}
   */
  public String label() {
    return label;
  }
}
