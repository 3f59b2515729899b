package dev.wasmpool.spi.support;

import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.MemoryImage;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToLongFunction;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Argument checks and formatting shared by {@link dev.wasmpool.spi.Reservation} implementations,
 * so that every backend rejects a bad range with the same words.
 */
public final class Ranges {

  private Ranges() {}

  /**
   * What is wrong with a range of a reservation.
   *
   * @param offset the range's start
   * @param length the range's length
   * @param pageSize the backend's page size, a power of two
   * @param byteSize the reservation's size
   * @return the reason, or {@code null} if the range is page-aligned and inside the reservation
   */
  public static @Nullable String problem(long offset, long length, long pageSize, long byteSize) {
    if (offset < 0) {
      return "offset must not be negative";
    }
    if (length < 0) {
      return "length must not be negative";
    }
    if (offset % pageSize != 0) {
      return "offset must be a multiple of the page size 0x" + Long.toHexString(pageSize);
    }
    if (length % pageSize != 0) {
      return "length must be a multiple of the page size 0x" + Long.toHexString(pageSize);
    }
    if (offset > byteSize || length > byteSize - offset) {
      return "the range must lie inside the reservation of 0x"
          + Long.toHexString(byteSize)
          + " bytes";
    }
    return null;
  }

  /**
   * Checks the size of a new reservation.
   *
   * @param byteSize the size {@link dev.wasmpool.spi.Backend#reserve} was given
   * @param pageSize the backend's page size
   * @return the operation's arguments, for messages
   * @throws BackendException if the size is not a positive multiple of the page size
   */
  public static String requireReservationSize(long byteSize, long pageSize) {
    String args = "byteSize=" + ByteCount.of(byteSize);
    if (byteSize <= 0 || byteSize % pageSize != 0) {
      throw new BackendException(
          "reserve",
          args,
          "byteSize must be a positive multiple of the page size " + ByteCount.of(pageSize));
    }
    return args;
  }

  /**
   * A range as {@code offset=0x..., length=0x...}, for error messages.
   *
   * @param offset the range's start
   * @param length the range's length
   * @return the text
   */
  public static String args(long offset, long length) {
    return "offset=" + ByteCount.of(offset) + ", length=" + ByteCount.of(length);
  }

  /**
   * A reset's arguments, for error messages.
   *
   * @param offset the range's start
   * @param length the range's length
   * @param keepResidentBytes the keep-resident prefix
   * @return the text
   */
  public static String resetArgs(long offset, long length, long keepResidentBytes) {
    return String.format(
        Locale.ROOT,
        "offset=%s, length=%s, keepResidentBytes=%s",
        ByteCount.of(offset),
        ByteCount.of(length),
        ByteCount.of(keepResidentBytes));
  }

  /**
   * An image mapping's arguments, for error messages.
   *
   * @param offset where the image goes
   * @param image the image
   * @return the text
   */
  public static String imageArgs(long offset, MemoryImage image) {
    return "offset=" + ByteCount.of(offset) + ", image=" + image;
  }

  /**
   * Checks the contents of a new image: present and not empty.
   *
   * @param contents the bytes {@link dev.wasmpool.spi.Backend#createImage} was given
   * @return the operation's arguments, for messages
   * @throws BackendException if the contents are empty
   */
  public static String requireImageContents(MemorySegment contents) {
    Objects.requireNonNull(contents, "contents");
    String args = "contents.byteSize=" + ByteCount.of(contents.byteSize());
    if (contents.byteSize() == 0) {
      throw new BackendException("createImage", args, "contents must not be empty");
    }
    return args;
  }

  /**
   * Checks that no image mapped in a reservation overlaps {@code [offset, end)}.
   *
   * @param images the reservation's image mappings
   * @param offset the start of the new mapping
   * @param end one past its last byte
   * @param image the image about to be mapped, for the message
   * @param startOf where a mapping starts
   * @param <V> a mapping
   * @throws BackendException naming the first overlapping mapping
   */
  public static <V extends Object> void requireNoImageOverlap(
      RangeMap<V> images, long offset, long end, MemoryImage image, ToLongFunction<V> startOf) {
    if (!images.overlaps(offset, end)) {
      return;
    }
    List<Long> starts = new ArrayList<>();
    images.forEachOverlap(offset, end, (s, e, m) -> starts.add(startOf.applyAsLong(m)));
    throw new BackendException(
        "mapImage",
        imageArgs(offset, image),
        "the range overlaps the image mapped at offset 0x"
            + Long.toHexString(starts.getFirst())
            + "; remove it first");
  }
}
