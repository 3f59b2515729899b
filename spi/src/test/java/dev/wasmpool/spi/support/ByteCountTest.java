package dev.wasmpool.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ByteCountTest {

  @Test
  void of_belowOneKiB_bytesOnly() {
    assertEquals("0 bytes", ByteCount.of(0));
    assertEquals("1 byte", ByteCount.of(1));
    assertEquals("1023 bytes", ByteCount.of(1023));
    assertEquals("-1 bytes", ByteCount.of(-1));
  }

  @Test
  void of_exactUnits_areWhole() {
    assertEquals("1024 bytes (1 KiB)", ByteCount.of(1024));
    assertEquals("65536 bytes (64 KiB)", ByteCount.of(65536));
    assertEquals("4294967296 bytes (4 GiB)", ByteCount.of(1L << 32));
  }

  @Test
  void of_otherSizes_oneDecimal() {
    assertEquals("1536 bytes (1.5 KiB)", ByteCount.of(1536));
    assertEquals("17170432 bytes (16.4 MiB)", ByteCount.of(17170432));
    assertEquals("4328521728 bytes (4.0 GiB)", ByteCount.of(4328521728L));
    assertEquals("9223372036854775807 bytes (8.0 EiB)", ByteCount.of(Long.MAX_VALUE));
  }
}
