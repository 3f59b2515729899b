package dev.wasmpool.api.internal.mpk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProtectionMaskTest {

  @Test
  void all_readsBackZero() {
    assertEquals(0, ProtectionMask.all().bits());
  }

  @Test
  void zero_allowsOnlyKeyZero() {
    ProtectionMask zero = ProtectionMask.zero();
    assertEquals(0xFFFF_FFFC, zero.bits());
    assertTrue(zero.allows(0));
    for (int key = 1; key <= ProtectionMask.MAX_KEY; key++) {
      assertFalse(zero.allows(key), "key " + key);
    }
  }

  @Test
  void or_five_clearsBothBitsOfKeyFive() {
    assertEquals(0b11111111_11111111_11110011_11111100, ProtectionMask.zero().or(5).bits());
    assertTrue(ProtectionMask.zero().or(5).allows(5));
    assertFalse(ProtectionMask.zero().or(5).allows(4));
  }

  @Test
  void or_everyKey_givesAll() {
    ProtectionMask mask = ProtectionMask.zero();
    for (int key = 1; key <= ProtectionMask.MAX_KEY; key++) {
      mask = mask.or(key);
    }
    assertEquals(ProtectionMask.all(), mask);
  }

  @Test
  void or_outOfRange_throws() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ProtectionMask.zero().or(16));
    assertEquals("protection key must be in 0..15 (was 16)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ProtectionMask.all().allows(-1));
  }

  @Test
  void isGuest_zeroAndZeroOrOneKey_only() {
    assertTrue(ProtectionMask.zero().isGuest());
    for (int k = 1; k <= ProtectionMask.MAX_KEY; k++) {
      assertTrue(ProtectionMask.zero().or(k).isGuest(), "key " + k);
      assertTrue(ProtectionMask.zero().or(k).or(k == 1 ? 2 : 1).isGuest(), "two keys besides 0");
    }
    assertFalse(ProtectionMask.all().isGuest(), "host rights");
    assertFalse(new ProtectionMask(0x5555_5554).isGuest(), "Linux's initial register");
    assertFalse(new ProtectionMask(0xFFFF_FFFF).isGuest(), "key 0 denied");
    assertFalse(new ProtectionMask(0xFFFF_FFFC & ~0b0100).isGuest(), "key 1 readable, not writable");
  }

  @Test
  void union_allowsTheKeysOfBoth() {
    ProtectionMask both = ProtectionMask.zero().or(2).union(ProtectionMask.zero().or(5));
    assertEquals(ProtectionMask.zero().or(2).or(5), both);
    assertEquals(ProtectionMask.all(), ProtectionMask.all().union(ProtectionMask.zero()));
  }
}
