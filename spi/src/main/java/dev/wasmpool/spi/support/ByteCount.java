package dev.wasmpool.spi.support;

import java.util.Locale;

/**
 * The one way wasmpool writes a size in a message: the exact count in decimal bytes, with a binary
 * unit beside it from 1 KiB on, such as {@code "17170432 bytes (16.4 MiB)"} or {@code "65536 bytes
 * (64 KiB)"}. Addresses and flags are written in hexadecimal ({@code 0x7f...}); sizes, lengths
 * and offsets never are.
 *
 * <p>Thread-safe (stateless).
 */
public final class ByteCount {

  private static final String[] UNITS = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

  private ByteCount() {}

  /**
   * Describes a size.
   *
   * @param bytes the size; negative values are written as they are, without a unit beside
   * @return for example {@code "1000 bytes"}, {@code "1536 bytes (1.5 KiB)"} or {@code "65536
   *     bytes (64 KiB)"}
   */
  public static String of(long bytes) {
    if (bytes < 1024) {
      return bytes + (bytes == 1 ? " byte" : " bytes");
    }
    int unit = 0;
    double value = bytes / 1024.0;
    while (value >= 1024 && unit < UNITS.length - 1) {
      value /= 1024;
      unit++;
    }
    int shift = 10 * (unit + 1);
    String human =
        (bytes & ((1L << shift) - 1)) == 0
            ? Long.toString(bytes >>> shift)
            : String.format(Locale.ROOT, "%.1f", value);
    return bytes + " bytes (" + human + " " + UNITS[unit] + ")";
  }
}
