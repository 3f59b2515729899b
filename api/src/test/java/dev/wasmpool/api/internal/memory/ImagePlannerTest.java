package dev.wasmpool.api.internal.memory;

import static dev.wasmpool.api.testing.Modules.memory;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.binding.MemoryInit;
import dev.wasmpool.api.internal.memory.ImagePlanner.ImageContents;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ImagePlannerTest {

  private static final long PAGE = 4096;

  private static MemoryInit init(long offset, int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return new MemoryInit(0, OptionalLong.of(offset), b);
  }

  @Test
  void eligible_noData_isAnEmptyImage() {
    assertTrue(ImagePlanner.eligible(memory(1, -1), List.of(), PAGE));
    assertTrue(ImagePlanner.build(List.of(), PAGE).isEmpty());
  }

  @Test
  void eligible_nonConstantOffset_no() {
    MemoryInit global = new MemoryInit(0, OptionalLong.empty(), new byte[] {1});
    assertFalse(ImagePlanner.eligible(memory(1, -1), List.of(global), PAGE));
  }

  @Test
  void eligible_beyondMinimumSize_no() {
    assertFalse(ImagePlanner.eligible(memory(1, -1), List.of(init(65535, 1, 2)), PAGE));
    assertTrue(ImagePlanner.eligible(memory(1, -1), List.of(init(65534, 1, 2)), PAGE));
    assertFalse(ImagePlanner.eligible(memory(0, -1), List.of(init(0, 1)), PAGE));
  }

  @Test
  void eligible_backendPageAboveWasmPage_no() {
    assertFalse(ImagePlanner.eligible(memory(1, -1), List.of(init(0, 1)), 2 * 65536));
  }

  @Test
  void eligible_sparseBeyond16MiB_no_denseYes() {
    long far = 64L << 20;
    List<MemoryInit> sparse = List.of(init(0, 1), init(far, 2));
    assertFalse(ImagePlanner.eligible(memory(1025, -1), sparse, PAGE));
    List<MemoryInit> near = List.of(init(0, 1), init((16L << 20) - 2, 2));
    assertTrue(ImagePlanner.eligible(memory(1025, -1), near, PAGE), "span under 16 MiB");
    MemoryInit big = new MemoryInit(0, OptionalLong.of(far - (40L << 20)), new byte[40 << 20]);
    assertTrue(ImagePlanner.eligible(memory(1025, -1), List.of(init(0, 1), big), PAGE), "span < 2x data");
  }

  @Test
  void build_trimsZerosAndAlignsToPages() {
    ImageContents image = ImagePlanner.build(List.of(init(5000, 0, 0, 7, 8, 0), init(9000, 9)), PAGE);
    assertEquals(4096, image.offset());
    assertEquals(8192, image.bytes().length);
    assertEquals(7, image.bytes()[5002 - 4096]);
    assertEquals(8, image.bytes()[5003 - 4096]);
    assertEquals(9, image.bytes()[9000 - 4096]);
    int nonZero = 0;
    for (byte b : image.bytes()) {
      nonZero += b != 0 ? 1 : 0;
    }
    assertEquals(3, nonZero);
  }

  @Test
  void build_laterSegmentsOverwriteEarlierOnes() {
    ImageContents image = ImagePlanner.build(List.of(init(0, 1, 1, 1), init(1, 2)), PAGE);
    assertEquals(0, image.offset());
    assertArrayEquals(new byte[] {1, 2, 1}, java.util.Arrays.copyOf(image.bytes(), 3));
  }

  @Test
  void build_emptySegmentBeforeTheSpan_isSkipped() {
    // Issue 12 item 2: (data (i32.const 100) "x") (data (i32.const 0) "") copied the empty
    // segment to index -100 of the span.
    List<MemoryInit> inits = List.of(init(100, 'x'), init(0));
    assertTrue(ImagePlanner.eligible(memory(2, -1), inits, PAGE));
    ImageContents image = ImagePlanner.build(inits, PAGE);
    assertEquals(0, image.offset());
    assertEquals(PAGE, image.bytes().length);
    assertEquals('x', image.bytes()[100]);
  }

  @Test
  void build_allZero_isEmpty() {
    assertTrue(ImagePlanner.build(List.of(init(100, 0, 0, 0)), PAGE).isEmpty());
  }

  @Test
  void build_segmentSpanningTwoPages_coversBoth() {
    ImageContents image = ImagePlanner.build(List.of(init(PAGE - 1, 1, 2)), PAGE);
    assertEquals(0, image.offset());
    assertEquals(2 * PAGE, image.bytes().length);
  }

  @Test
  void initsOf_selectsOneMemory() {
    MemoryInit other = new MemoryInit(1, OptionalLong.of(0), new byte[] {1});
    MemoryInit mine = init(0, 2);
    assertEquals(List.of(mine), ImagePlanner.initsOf(List.of(other, mine), 0));
  }
}
