package dev.wasmpool.api;

import dev.wasmpool.api.binding.ModuleDescriptor;
import java.io.Serial;
import java.util.List;
import java.util.Objects;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A module does not fit the engine's pooling configuration, found once by {@link
 * Engine#register(ModuleDescriptor)} rather than at every instantiation.
 *
 * <p>The reason is a chain from the most general statement to the most specific one, with the
 * texts of Wasmtime's pooling allocator, for example:
 *
 * <ol>
 *   <li>{@code "module memory does not fit in pooling allocator requirements"}
 *   <li>{@code "memory index 0 is unsupported in this pooling allocator configuration"}
 *   <li>{@code "memory has a minimum byte size of 262144 bytes (256 KiB) which exceeds the
 *       maxMemorySize limit of 196608 bytes (192 KiB)"}
 * </ol>
 *
 * <p>{@link #getMessage()} joins the chain with {@code ": "} so that it reads whole on one line;
 * {@link #getCause()} is the same exception for the rest of the chain, and {@link #reasons()}
 * lists every level.
 */
public final class ModuleValidationException extends RuntimeException {

  @Serial private static final long serialVersionUID = 1L;

  /** Every level of the reason, most general first. */
  private final String[] reasons;

  /**
   * Creates the exception.
   *
   * @param reasons the reason chain, most general first; at least one entry
   * @throws IllegalArgumentException if {@code reasons} is empty
   */
  public ModuleValidationException(List<String> reasons) {
    super(join(reasons), rest(reasons));
    this.reasons = reasons.toArray(String[]::new);
  }

  /**
   * Creates the exception for a single reason.
   *
   * @param reason the reason
   */
  public ModuleValidationException(String reason) {
    this(List.of(reason));
  }

  private static String join(List<String> reasons) {
    if (reasons.isEmpty()) {
      throw new IllegalArgumentException("reasons must not be empty");
    }
    StringBuilder sb = new StringBuilder();
    for (String reason : reasons) {
      if (sb.length() > 0) {
        sb.append(": ");
      }
      sb.append(Objects.requireNonNull(reason, "reason"));
    }
    return sb.toString();
  }

  private static @Nullable ModuleValidationException rest(List<String> reasons) {
    return reasons.size() <= 1 ? null : new ModuleValidationException(reasons.subList(1, reasons.size()));
  }

  /**
   * The most general level of the reason, for example {@code "module memory does not fit in
   * pooling allocator requirements"}.
   *
   * @return the first reason
   */
  public String context() {
    return reasons[0];
  }

  /**
   * The most specific level of the reason.
   *
   * @return the last reason
   */
  public String rootReason() {
    return reasons[reasons.length - 1];
  }

  /**
   * Every level of the reason.
   *
   * @return the chain, most general first
   */
  public List<String> reasons() {
    return List.of(reasons);
  }
}
