package dev.wasmpool.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ModuleShapeTest {

  @ParameterizedTest
  @EnumSource(ModuleShape.class)
  void shape_declaresItsMemoryAndData(ModuleShape shape) {
    WasmModule module = Parser.parse(shape.wasm());
    MemoryLimits limits = module.memorySection().orElseThrow().getMemory(0).limits();
    assertEquals(shape.initialPages(), limits.initialPages());
    assertEquals(ModuleShape.MAXIMUM_PAGES, limits.maximumPages());
    Instance instance = Instance.builder(module).build();
    assertEquals(shape.initialPages(), instance.memory().pages());
    int segmentBytes = shape.dataBytes() / shape.segments();
    for (int i = 0; i < shape.segments(); i++) {
      assertArrayEquals(
          ModuleShape.patternBytes(segmentBytes),
          instance.memory().readBytes(i * ModuleShape.SEGMENT_STRIDE, segmentBytes),
          "segment " + i);
    }
    assertEquals(shape.segments(), module.dataSection().dataSegmentCount());
  }

  @ParameterizedTest
  @EnumSource(ModuleShape.class)
  void touch_writesOneWordPerPage(ModuleShape shape) {
    Instance instance = Instance.builder(Parser.parse(shape.wasm())).build();
    int pages = Math.min(4, shape.initialPages());
    assertEquals(pages, instance.export("touch").apply(pages)[0]);
    for (int page = 0; page < pages; page++) {
      assertEquals(page, instance.memory().readInt(page * 65536));
    }
  }
}
