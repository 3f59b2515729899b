package dev.wasmpool.api.binding;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.IntPredicate;

/**
 * What instantiating a module writes into one of its memories, decided once when the module is
 * loaded: whether the memory image covers the memory's active data, and otherwise which segments
 * remain to be written and at which offsets (constant ones evaluated here, once).
 *
 * <p>Per instance, a memory whose image is in place costs nothing, whatever the number of segments;
 * one without an image writes its segments in module order, evaluating through the binding only the
 * offsets that are not constant. A segment that does not fit fails the instantiation, as the
 * WebAssembly specification requires, after the segments before it were written.
 *
 * <p>Immutable and thread-safe.
 */
public final class DataInitPlan {

  /** Evaluates the offset of a segment whose offset is not a constant, for one instance. */
  @FunctionalInterface
  public interface OffsetEvaluator {
    /**
     * The offset of a segment in this instance.
     *
     * @param segmentIndex the segment's index in the module's data section
     * @return the offset as a signed 32-bit value (negative ones are out of bounds)
     */
    int offset(int segmentIndex);
  }

  /** Writes bytes the bounds check already accepted. */
  @FunctionalInterface
  public interface Writer {
    /**
     * Writes a segment.
     *
     * @param offset the byte offset, within bounds
     * @param bytes the segment's bytes; must not be changed
     */
    void write(int offset, byte[] bytes);
  }

  private static final int[] NO_INDEXES = {};
  private static final long[] NO_OFFSETS = {};
  private static final byte[][] NO_BYTES = {};

  /** Per memory index: whether its image holds all of its active data. */
  private final boolean[] imageCovers;

  /**
   * Per memory index: the module-wide indexes of its active segments, in module order (written
   * when the image is not in place, even where it would cover them).
   */
  private final int[][] segmentIndexes;

  /** Per memory index, like {@link #segmentIndexes}: the constant offsets or NOT_CONSTANT. */
  private final long[][] offsets;

  /** Per memory index, like {@link #segmentIndexes}: the bytes. */
  private final byte[][][] bytes;

  private DataInitPlan(boolean[] imageCovers, int[][] segmentIndexes, long[][] offsets, byte[][][] bytes) {
    this.imageCovers = imageCovers;
    this.segmentIndexes = segmentIndexes;
    this.offsets = offsets;
    this.bytes = bytes;
  }

  /**
   * Plans the data initialisation of a module's memories.
   *
   * @param memoryCount the number of memory indexes the binding uses (imported and defined)
   * @param segments the module's active data segments, in module order
   * @param imageCovers whether a memory (by the binding's index) starts with its image in place,
   *     holding exactly what writing its constant segments would produce
   * @return the plan
   * @throws IllegalArgumentException if a segment names a memory index outside {@code
   *     [0, memoryCount)}
   */
  public static DataInitPlan of(int memoryCount, List<ActiveData> segments, IntPredicate imageCovers) {
    List<List<ActiveData>> byMemory = new ArrayList<>();
    for (int m = 0; m < memoryCount; m++) {
      byMemory.add(new ArrayList<>());
    }
    for (ActiveData segment : segments) {
      if (segment.memoryIndex() >= memoryCount) {
        throw new IllegalArgumentException(
            "segment " + segment.segmentIndex() + " targets memory " + segment.memoryIndex()
                + " of " + memoryCount);
      }
      byMemory.get(segment.memoryIndex()).add(segment);
    }
    boolean[] covers = new boolean[memoryCount];
    int[][] indexes = new int[memoryCount][];
    long[][] offsets = new long[memoryCount][];
    byte[][][] bytes = new byte[memoryCount][][];
    for (int m = 0; m < memoryCount; m++) {
      List<ActiveData> own = byMemory.get(m);
      covers[m] = imageCovers.test(m) && own.stream().allMatch(ActiveData::hasConstantOffset);
      if (own.isEmpty()) {
        indexes[m] = NO_INDEXES;
        offsets[m] = NO_OFFSETS;
        bytes[m] = NO_BYTES;
        continue;
      }
      indexes[m] = own.stream().mapToInt(ActiveData::segmentIndex).toArray();
      offsets[m] = own.stream().mapToLong(ActiveData::constantOffset).toArray();
      bytes[m] = own.stream().map(ActiveData::bytes).toArray(byte[][]::new);
    }
    return new DataInitPlan(covers, indexes, offsets, bytes);
  }

  /**
   * Whether a memory's image, when in place, already holds all of its active data.
   *
   * @param memoryIndex the memory's index
   * @return {@code true} if nothing is written at instantiation when the slot holds the image
   */
  public boolean imageCovers(int memoryIndex) {
    return imageCovers[memoryIndex];
  }

  /**
   * How many segments instantiation writes into a memory whose image is not in place.
   *
   * @param memoryIndex the memory's index
   * @return the number of active segments targeting it
   */
  public int segmentsToWrite(int memoryIndex) {
    return segmentIndexes[memoryIndex].length;
  }

  /**
   * Writes a memory's active data for one instance, unless the image in place holds it.
   *
   * @param memoryIndex the memory's index
   * @param imageInPlace whether the slot holds the module's image
   * @param byteSize the memory's current size in bytes
   * @param evaluator evaluates offsets that are not constant; not called for constant ones
   * @param outOfBounds makes the runtime's instantiation error from a message
   * @param writer writes one segment
   * @throws RuntimeException from {@code outOfBounds} for the first segment that does not fit
   */
  public void initialize(
      int memoryIndex,
      boolean imageInPlace,
      long byteSize,
      OffsetEvaluator evaluator,
      Function<String, ? extends RuntimeException> outOfBounds,
      Writer writer) {
    if (imageInPlace && imageCovers[memoryIndex]) {
      return;
    }
    int[] indexes = segmentIndexes[memoryIndex];
    long[] constant = offsets[memoryIndex];
    byte[][] data = bytes[memoryIndex];
    for (int k = 0; k < indexes.length; k++) {
      long offset =
          constant[k] == ActiveData.NOT_CONSTANT ? evaluator.offset(indexes[k]) : (int) constant[k];
      byte[] segment = data[k];
      if (offset < 0 || offset + segment.length > byteSize) {
        throw outOfBounds.apply(outOfBoundsMessage(offset, segment.length, byteSize));
      }
      writer.write((int) offset, segment);
    }
  }

  /**
   * The message of an access outside a memory, worded as Chicory words it.
   *
   * @param address the first byte accessed
   * @param size the number of bytes
   * @param limit the memory's size in bytes
   * @return the message
   */
  public static String outOfBoundsMessage(long address, int size, long limit) {
    return "out of bounds memory access: attempted to access address: "
        + address
        + " but limit is: "
        + limit
        + " and size: "
        + size;
  }

  @Override
  public String toString() {
    return "DataInitPlan[imageCovers=" + Arrays.toString(imageCovers) + "]";
  }
}
