package dev.wasmpool.api.internal.memory;

import dev.wasmpool.api.binding.MemoryInit;
import dev.wasmpool.api.binding.MemoryType;
import java.util.Arrays;
import java.util.List;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Decides whether a memory's active data can become a copy-on-write image and builds the image's
 * bytes. Pure: no backend, no state.
 *
 * <p>A memory gets an image when every active data segment targeting it has a constant offset and
 * ends within the memory's minimum size (so the bytes are in place at instantiation whatever the
 * runtime does), the backend's page is no larger than a WebAssembly page, and the data is dense
 * enough: its span (first to last byte written) is below {@value #DENSE_IMAGE_BYTES} bytes (16 MiB) or
 * below twice the bytes written. The image is the span with leading and trailing zeros trimmed,
 * widened to whole backend pages; data that is all zero needs no image at all.
 */
public final class ImagePlanner {

  /** Spans up to this many bytes always get an image, as Wasmtime's default {@code
   * memory_guaranteed_dense_image_size}. */
  public static final long DENSE_IMAGE_BYTES = 16L << 20;

  private ImagePlanner() {}

  /**
   * Whether the data of a memory can be provided by an image.
   *
   * @param memory the memory's type
   * @param inits the active data segments targeting this memory, in module order
   * @param pageSize the backend's page size
   * @return {@code true} if {@link #build} gives the memory's initial contents
   */
  public static boolean eligible(MemoryType memory, List<MemoryInit> inits, long pageSize) {
    if (pageSize > MemoryType.PAGE_SIZE || memory.minimumPages() > Long.MAX_VALUE / MemoryType.PAGE_SIZE) {
      return false;
    }
    long minBytes = memory.minimumPages() * MemoryType.PAGE_SIZE;
    long start = Long.MAX_VALUE;
    long end = 0;
    long written = 0;
    for (MemoryInit init : inits) {
      if (init.offset().isEmpty()) {
        return false;
      }
      long offset = init.offset().getAsLong();
      int length = init.bytes().length;
      if (offset > minBytes - length) {
        // Out of bounds at instantiation: the runtime must run the segment and report the trap.
        return false;
      }
      if (length == 0) {
        continue;
      }
      start = Math.min(start, offset);
      end = Math.max(end, offset + length);
      written += length;
    }
    if (written == 0) {
      return true;
    }
    long span = end - start;
    return span < DENSE_IMAGE_BYTES || span < 2 * written;
  }

  /**
   * The image of an eligible memory.
   *
   * @param inits the active data segments targeting this memory, in module order
   * @param pageSize the backend's page size
   * @return the page-aligned image; {@link ImageContents#isEmpty()} when every byte is zero
   */
  public static ImageContents build(List<MemoryInit> inits, long pageSize) {
    long start = Long.MAX_VALUE;
    long end = 0;
    for (MemoryInit init : inits) {
      if (init.bytes().length > 0) {
        long offset = init.offset().orElseThrow();
        start = Math.min(start, offset);
        end = Math.max(end, offset + init.bytes().length);
      }
    }
    if (end == 0) {
      return ImageContents.EMPTY;
    }
    byte[] span = new byte[Math.toIntExact(end - start)];
    for (MemoryInit init : inits) {
      byte[] bytes = init.bytes();
      if (bytes.length == 0) {
        // An empty segment writes nothing, and its offset may lie outside the span.
        continue;
      }
      // Later segments overwrite earlier ones, as instantiation would.
      System.arraycopy(bytes, 0, span, (int) (init.offset().orElseThrow() - start), bytes.length);
    }
    int first = 0;
    while (first < span.length && span[first] == 0) {
      first++;
    }
    if (first == span.length) {
      return ImageContents.EMPTY;
    }
    int last = span.length;
    while (span[last - 1] == 0) {
      last--;
    }
    long dataStart = start + first;
    long dataEnd = start + last;
    long imageStart = dataStart & -pageSize;
    long imageEnd = (dataEnd + pageSize - 1) & -pageSize;
    byte[] image = new byte[Math.toIntExact(imageEnd - imageStart)];
    System.arraycopy(span, first, image, (int) (dataStart - imageStart), last - first);
    return new ImageContents(imageStart, image);
  }

  /**
   * The segments of one memory.
   *
   * @param inits every active data segment of the module
   * @param memoryIndex the defined memory's index
   * @return the segments targeting it, in module order
   */
  public static List<MemoryInit> initsOf(List<MemoryInit> inits, int memoryIndex) {
    return inits.stream().filter(i -> i.memoryIndex() == memoryIndex).toList();
  }

  /**
   * The bytes of an image and where they go.
   *
   * @param offset the byte offset in the memory, a multiple of the page size
   * @param bytes the contents, a multiple of the page size long; not copied
   */
  public record ImageContents(long offset, byte[] bytes) {

    /** No image: the memory starts all zero. */
    public static final ImageContents EMPTY = new ImageContents(0, new byte[0]);

    /**
     * Whether there is nothing to map.
     *
     * @return {@code true} if the image has no bytes
     */
    public boolean isEmpty() {
      return bytes.length == 0;
    }

    @Override
    public boolean equals(@Nullable Object other) {
      return other instanceof ImageContents c && c.offset == offset && Arrays.equals(c.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(offset) * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "ImageContents[offset=" + offset + ", length=" + bytes.length + "]";
    }
  }
}
