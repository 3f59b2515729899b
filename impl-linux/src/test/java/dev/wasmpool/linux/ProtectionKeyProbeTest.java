package dev.wasmpool.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.ProtectionKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The protection key probe. On a machine without keys (like the one this project is built on,
 * where glibc's {@code pkey_set} is {@code SIGILL}) it must answer "unsupported" without touching
 * the rights register; on a machine with keys it must find some.
 */
@EnabledOnOs(OS.LINUX)
class ProtectionKeyProbeTest {

  private static final String WITH_KEYS =
      "processor\t: 0\nflags\t\t: fpu vme pku ospke avx512f\n\n"
          + "processor\t: 1\nflags\t\t: fpu vme pku ospke avx512f\n";

  @Test
  void cpuAdvertisesKeys_needsPkuAndOspkeOnEveryProcessor() {
    assertTrue(ProtectionKeyProbe.cpuAdvertisesKeys(WITH_KEYS));
    assertFalse(ProtectionKeyProbe.cpuAdvertisesKeys("flags\t: fpu pku avx\n"), "no ospke");
    assertFalse(ProtectionKeyProbe.cpuAdvertisesKeys("flags\t: fpu ospke\n"), "no pku");
    assertFalse(ProtectionKeyProbe.cpuAdvertisesKeys("flags\t: fpu pkuospke\n"), "whole words");
    assertFalse(
        ProtectionKeyProbe.cpuAdvertisesKeys(WITH_KEYS + "flags\t\t: fpu vme\n"),
        "one processor without");
    assertFalse(ProtectionKeyProbe.cpuAdvertisesKeys("Features\t: fp asimd\n"), "no flags line");
    assertFalse(ProtectionKeyProbe.cpuAdvertisesKeys(""));
  }

  @Test
  void probe_onThisMachine_matchesCpuinfo_withoutCrashing() throws IOException {
    boolean advertised =
        System.getProperty("os.arch").equals("amd64")
            && ProtectionKeyProbe.cpuAdvertisesKeys(Files.readString(Path.of("/proc/cpuinfo")));
    ProtectionKeyProbe.Answer answer = ProtectionKeyProbe.answer();
    try (Backend backend = new LinuxBackendProvider().create()) {
      assertEquals(answer.keys(), backend.capabilities().protectionKeys());
      if (advertised) {
        assertTrue(answer.supported(), answer.detail());
        assertTrue(answer.keys() >= 1 && answer.keys() <= 15, answer.detail());
        assertEquals(0, backend.protectionKeys().rights(), "threads start with every key allowed");
      } else {
        assertFalse(answer.supported());
        assertEquals(0, answer.keys());
        assertTrue(answer.detail().contains("pku"), answer.detail());
        assertSame(ProtectionKeys.NONE, backend.protectionKeys());
        // pkey_alloc is a plain system call and fails cleanly without keys...
        BackendException alloc = assertThrows(BackendException.class, PkeyCalls::alloc);
        assertTrue(
            Set.of(Errno.ENOSPC, Errno.EINVAL, Errno.ENOSYS).contains(alloc.errno()),
            alloc.getMessage());
        // ...but pkey_get/pkey_set would be SIGILL: they refuse before reaching the instruction.
        BackendException get = assertThrows(BackendException.class, () -> PkeyCalls.get(0));
        assertEquals(0, get.errno());
        assertThrows(BackendException.class, () -> PkeyCalls.set(0, 0));
      }
    }
  }
}
