package dev.wasmpool.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class BytesTest {

  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  @Test
  void u32_encodesSevenBitsPerByteLowFirst() {
    assertArrayEquals(bytes(0x00), new Bytes().u32(0).toArray());
    assertArrayEquals(bytes(0x7f), new Bytes().u32(127).toArray());
    assertArrayEquals(bytes(0x80, 0x01), new Bytes().u32(128).toArray());
    assertArrayEquals(bytes(0xff, 0xff, 0xff, 0xff, 0x0f), new Bytes().u32(0xffff_ffffL).toArray());
  }

  @Test
  void s64_signExtendsFromBitSix() {
    assertArrayEquals(bytes(0x3f), new Bytes().s64(63).toArray());
    assertArrayEquals(bytes(0xc0, 0x00), new Bytes().s64(64).toArray());
    assertArrayEquals(bytes(0x7f), new Bytes().s64(-1).toArray());
    assertArrayEquals(bytes(0x40), new Bytes().s64(-64).toArray());
    assertArrayEquals(bytes(0xbf, 0x7f), new Bytes().s64(-65).toArray());
    assertArrayEquals(
        bytes(0x80, 0x80, 0x80, 0x80, 0x78), new Bytes().s64(Integer.MIN_VALUE).toArray());
  }

  @Test
  void limits_withAndWithoutMaximum() {
    assertArrayEquals(bytes(0x00, 0x02), new Bytes().limits(2, -1, false).toArray());
    assertArrayEquals(bytes(0x03, 0x01, 0x04), new Bytes().limits(1, 4, true).toArray());
  }
}
