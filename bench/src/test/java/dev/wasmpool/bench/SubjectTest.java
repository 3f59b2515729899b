package dev.wasmpool.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every compared memory instantiates the benchmark modules alike. */
class SubjectTest {

  /** The memories this OS can run: {@code pooled-linux} only on Linux. */
  static Stream<String> memories() {
    return Subject.MEMORIES.stream().filter(m -> OS.LINUX.isCurrentOs() || !m.equals("pooled-linux"));
  }

  /** The memories that give each instance a memory of its own: all but the floor. */
  static Stream<String> freshMemories() {
    return memories().filter(m -> !m.equals(Subject.FLOOR));
  }

  @ParameterizedTest
  @MethodSource("freshMemories")
  void instantiate_mediumShape_dataInPlace_touchWorks_repeatedly(String memory) {
    try (Subject subject = Subject.open(memory, ModuleShape.MEDIUM.wasm(), false)) {
      for (int round = 0; round < 3; round++) {
        try (Subject.Tenant tenant = subject.instantiate()) {
          Memory m = tenant.instance().memory();
          assertEquals(ModuleShape.MEDIUM.initialPages(), m.pages());
          assertArrayEquals(ModuleShape.patternBytes(64), m.readBytes(0, 64), "data, round " + round);
          assertEquals(0, m.readInt(65536 * 16), "beyond the data: zero, round " + round);
          assertEquals(4, tenant.instance().export("touch").apply(4)[0]);
          assertEquals(3, m.readInt(3 * 65536));
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("memories")
  void workload_interpreterAndCompiler_sameChecksum(String memory) {
    long[] checksums = new long[2];
    long[] mixed = new long[2];
    byte[][] copies = new byte[2][];
    for (int compiled = 0; compiled < 2; compiled++) {
      try (Subject subject =
              Subject.open(
                  memory,
                  MemoryWorkload.wasm(),
                  compiled == 1,
                  ImportValues.builder().addFunction(MemoryWorkload.hostCopy()).build());
          Subject.Tenant tenant = subject.instantiate()) {
        Instance instance = tenant.instance();
        instance.export("fill").apply(1024, 7);
        instance.export("memcpy").apply(1 << 20, 0, 4096);
        instance.export("sort").apply(1 << 20, 1024);
        checksums[compiled] = instance.export("checksum").apply(4096)[0];
        mixed[compiled] = instance.export("widths").apply(0, 3 << 20, 4096)[0];
        instance.export("bulk").apply(2 << 20, 0, 4096);
        instance.export("host").apply(0, 3 << 19, 4096, 512);
        copies[compiled] = instance.memory().readBytes(0, 4 << 20);
        int previous = Integer.MIN_VALUE;
        for (int i = 0; i < 1024; i++) {
          int value = instance.memory().readInt((1 << 20) + 4 * i);
          assertEquals(true, previous <= value, "sorted at " + i);
          previous = value;
        }
      }
    }
    assertEquals(checksums[0], checksums[1]);
    assertEquals(mixed[0], mixed[1], "widths");
    assertArrayEquals(copies[0], copies[1], "the whole memory after widths, bulk and host");
  }

  @Test
  void floor_everyInstanceGetsTheOneMemoryBuiltWithTheData() {
    try (Subject subject = Subject.open(Subject.FLOOR, ModuleShape.MEDIUM.wasm(), false)) {
      Subject.Tenant first = subject.instantiate();
      Memory m = first.instance().memory();
      assertArrayEquals(ModuleShape.patternBytes(64), m.readBytes(0, 64), "data in place");
      m.writeI32(65536, 42);
      Subject.Tenant second = subject.instantiate();
      assertEquals(true, second.instance().memory() == m, "the same memory");
      assertEquals(42, second.instance().memory().readInt(65536), "neither initialised nor zeroed again");
      assertArrayEquals(ModuleShape.patternBytes(64), m.readBytes(0, 64), "data still in place");
    }
  }

  @Test
  void open_unknownMemory_namesTheChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Subject.open("heap", ModuleShape.SMALL.wasm(), false));
    assertEquals("memory must be one of " + Subject.MEMORIES + " (was heap)", e.getMessage());
  }

  @Test
  void pooledTenant_closed_memoryUnusable() {
    try (Subject subject = Subject.open("pooled-portable", ModuleShape.SMALL.wasm(), false)) {
      Subject.Tenant tenant = subject.instantiate();
      Memory m = tenant.instance().memory();
      tenant.close();
      assertThrows(IllegalStateException.class, () -> m.readInt(0));
    }
  }
}
