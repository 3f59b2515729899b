package dev.wasmpool.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class MemoryWorkloadTest {

  private final Instance instance =
      Instance.builder(Parser.parse(MemoryWorkload.wasm()))
          .withImportValues(ImportValues.builder().addFunction(MemoryWorkload.hostCopy()).build())
          .build();
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

  @Test
  void widths_matchesAJavaModelOfEveryWidth() {
    int len = 4096;
    int dst = 3 << 20;
    instance.export("fill").apply(len / 4, 9);
    int result = (int) instance.export("widths").apply(0, dst, len)[0];
    ByteBuffer m = ByteBuffer.wrap(memory.readBytes(0, 4 << 20)).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer model = ByteBuffer.wrap(new byte[4 << 20]).order(ByteOrder.LITTLE_ENDIAN);
    model.put(0, m, 0, len);
    long acc = 0;
    for (int k = 0; k < len; k += 8) {
      int d = dst + k;
      model.putLong(d, acc);
      model.put(d + 1, (byte) acc);
      model.putShort(d + 2, (short) acc);
      model.putInt(d + 4, (int) acc);
      model.put(d + 3, (byte) acc);
      model.putShort(d + 6, (short) acc);
      model.putInt(d + 4, (int) acc);
      model.putFloat(d, (float) (int) acc);
      model.putDouble(d + 8, (double) acc);
      long x = Long.rotateLeft(acc, 7) ^ model.getLong(k);
      x += model.get(k);
      x += model.get(k + 1) & 0xFF;
      x += model.getShort(k + 2);
      x += model.getShort(k + 4) & 0xFFFF;
      x += model.getInt(k + 4) & 0xFFFF_FFFFL;
      x += model.get(k + 5);
      x += model.get(k + 6) & 0xFF;
      x += model.getShort(k + 2);
      x += model.getShort(k + 6) & 0xFFFF;
      x += model.getInt(k);
      x += model.getInt(k + 4) & 0xFFFF_FFFFL;
      x += Float.floatToRawIntBits(model.getFloat(d)) & 0xFFFF_FFFFL;
      x ^= Double.doubleToRawLongBits(model.getDouble(d + 8));
      acc = x;
    }
    assertEquals((int) acc, result);
    for (int i = dst; i < dst + len + 8; i++) {
      assertEquals(model.get(i), m.get(i), "stored byte at " + i);
    }
  }

  @Test
  void bulk_copiesThenFills() {
    int len = 3000;
    int dst = 1 << 20;
    instance.export("fill").apply(len / 4 + 1, 13);
    assertEquals(len, instance.export("bulk").apply(dst, 0, len)[0]);
    for (int i = 0; i < len; i++) {
      assertEquals(memory.read(i), memory.read(dst + i), "copied byte " + i);
      assertEquals((byte) len, memory.read(dst + len + i), "filled byte " + i);
    }
    assertEquals(0, memory.read(dst + 2 * len), "nothing beyond");
  }

  @Test
  void host_copiesThroughTheHostFunctionInChunks() {
    int len = 8192;
    int dst = 3 << 19;
    instance.export("fill").apply(len / 4, 17);
    assertEquals(len, instance.export("host").apply(0, dst, len, 1024)[0]);
    for (int i = 0; i < len; i++) {
      assertEquals(memory.read(i), memory.read(dst + i), "byte " + i);
    }
  }
}
