package dev.wasmpool.api.binding;

/**
 * One unit of an {@link AccountedResource} taken from an engine. Closing it gives the unit back.
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public interface ResourcePermit extends AutoCloseable {

  /**
   * What this permit holds.
   *
   * @return the resource
   */
  AccountedResource resource();

  /** Gives the unit back. Later calls do nothing. */
  @Override
  void close();
}
