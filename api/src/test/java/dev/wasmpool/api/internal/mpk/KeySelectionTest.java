package dev.wasmpool.api.internal.mpk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.api.testing.FakeBackend;
import dev.wasmpool.spi.ProtectionKey;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeySelectionTest {

  @Test
  void disable_neverAsksTheBackend() {
    FakeBackend backend = FakeBackend.withProtectionKeys(15);
    assertEquals(List.of(), KeySelection.select(MemoryProtectionKeys.DISABLE, 16, backend));
    assertEquals(0, backend.keys().allocateCalls());
  }

  @Test
  void enable_withoutKeys_mpkIsDisabledOnThisSystem() {
    FakeBackend backend = FakeBackend.linuxLike();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> KeySelection.select(MemoryProtectionKeys.ENABLE, 16, backend));
    assertEquals("mpk is disabled on this system", e.getMessage());
    assertEquals(0, backend.keys().allocateCalls(), "no pkey call without capability");
  }

  @Test
  void auto_withoutKeys_usesNone() {
    assertEquals(List.of(), KeySelection.select(MemoryProtectionKeys.AUTO, 16, FakeBackend.linuxLike()));
  }

  @Test
  void auto_withOneKey_usesNone() {
    assertEquals(
        List.of(), KeySelection.select(MemoryProtectionKeys.AUTO, 16, FakeBackend.withProtectionKeys(1)));
  }

  @Test
  void auto_withKeys_usesThemUpToTheMaximum() {
    List<ProtectionKey> keys =
        KeySelection.select(MemoryProtectionKeys.AUTO, 3, FakeBackend.withProtectionKeys(15));
    assertEquals(List.of(new ProtectionKey(1), new ProtectionKey(2), new ProtectionKey(3)), keys);
  }

  @Test
  void enable_withKeys_usesThem() {
    assertEquals(
        15, KeySelection.select(MemoryProtectionKeys.ENABLE, 16, FakeBackend.withProtectionKeys(15)).size());
  }

  @Test
  void enable_maxZero_mpkIsDisabledOnThisSystem() {
    assertThrows(
        IllegalStateException.class,
        () -> KeySelection.select(MemoryProtectionKeys.ENABLE, 0, FakeBackend.withProtectionKeys(15)));
  }
}
