package dev.wasmpool.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import org.junit.jupiter.api.Test;

class MemoryWorkloadTest {

  private final Instance instance = Instance.builder(Parser.parse(MemoryWorkload.wasm())).build();
  private final Memory memory = instance.memory();

  @Test
  void fill_writesTheLinearCongruentialSequence() {
    long last = instance.export("fill").apply(3, 7)[0];
    int x = 7;
    for (int i = 0; i < 3; i++) {
      x = x * 1664525 + 1013904223;
      assertEquals(x, memory.readInt(i * 4));
    }
    assertEquals(x, (int) last);
  }

  @Test
  void checksum_matchesAJavaRotateXor() {
    instance.export("fill").apply(256, 11);
    int h = 0;
    for (int i = 0; i < 1024; i++) {
      h = Integer.rotateLeft(h, 5) ^ (memory.read(i) & 0xff);
    }
    assertEquals(h, (int) instance.export("checksum").apply(1024)[0]);
  }

  @Test
  void memcpy_copiesBytes() {
    instance.export("fill").apply(512, 3);
    instance.export("memcpy").apply(1 << 20, 0, 2048);
    for (int i = 0; i < 2048; i++) {
      assertEquals(memory.read(i), memory.read((1 << 20) + i), "byte " + i);
    }
  }

  @Test
  void sort_ordersSignedWords() {
    int n = 1000;
    int base = 1 << 20;
    instance.export("fill").apply(n, 5);
    instance.export("memcpy").apply(base, 0, n * 4);
    instance.export("sort").apply(base, n);
    long sum = 0;
    long expectedSum = 0;
    for (int i = 0; i < n; i++) {
      expectedSum += memory.readInt(i * 4);
      sum += memory.readInt(base + i * 4);
      if (i > 0) {
        assertTrue(memory.readInt(base + (i - 1) * 4) <= memory.readInt(base + i * 4), "at " + i);
      }
    }
    assertEquals(expectedSum, sum, "a sort permutes");
  }
}
