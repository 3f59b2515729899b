package dev.wasmpool.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** How failed system calls become {@link BackendException}s: errno name, text and arguments. */
@EnabledOnOs(OS.LINUX)
class LinuxErrnoTest {

  @Test
  void reserve_absurdSize_carriesErrnoNameAndText() {
    try (Backend backend = new LinuxBackendProvider().create()) {
      long absurd = 1L << 62; // 4 EiB: far beyond any user address space
      BackendException e = assertThrows(BackendException.class, () -> backend.reserve(absurd));
      assertTrue(Set.of(Errno.ENOMEM, Errno.EINVAL).contains(e.errno()), e.getMessage());
      assertEquals(Errno.name(e.errno()), e.error());
      assertEquals("mmap", e.operation());
      assertTrue(
          e.arguments()
              .startsWith("addr=0x0, length=4611686018427387904 bytes (4 EiB), prot=PROT_NONE, "
                  + "flags=MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, fd=-1"),
          e.arguments());
      assertTrue(
          e.getMessage().contains(") failed: " + e.error() + " (" + Errno.text(e.errno())),
          e.getMessage());
    }
  }

  @Test
  void failure_mappingCallEnomem_namesTheMappingLimit() {
    // Issue 12 item 1: out of mappings, the kernel answers ENOMEM; the message says it may be that.
    assertEquals(
        "mprotect(addr=0x1000, length=0x1000, prot=PROT_NONE) failed: ENOMEM (Cannot allocate"
            + " memory, or the process reached its vm.max_map_count mappings)",
        LibC.failure("mprotect", "addr=0x1000, length=0x1000, prot=PROT_NONE", Errno.ENOMEM).getMessage());
    assertEquals(
        "memfd_create(name=\"x\") failed: ENOMEM (Cannot allocate memory)",
        LibC.failure("memfd_create", "name=\"x\"", Errno.ENOMEM).getMessage());
  }

  @Test
  void mprotect_unalignedAddress_isEinval() {
    BackendException e =
        assertThrows(
            BackendException.class, () -> LibC.mprotect(1, 4096, LibC.PROT_READ | LibC.PROT_WRITE));
    assertEquals(Errno.EINVAL, e.errno());
    assertEquals(
        "mprotect(addr=0x1, length=4096 bytes (4 KiB), prot=PROT_READ|PROT_WRITE) failed: EINVAL (Invalid"
            + " argument)",
        e.getMessage());
  }

  @Test
  void close_badDescriptor_isEbadf() {
    BackendException e = assertThrows(BackendException.class, () -> LibC.close(-1));
    assertEquals(9, e.errno());
    assertEquals("EBADF", e.error());
    assertEquals("close(fd=-1) failed: EBADF (Bad file descriptor)", e.getMessage());
  }

  @Test
  void errno_isCapturedPerThread() throws Exception {
    // Two threads fail different calls at the same time; each must see its own errno.
    try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
      List<Future<?>> done =
          List.of(
              pool.submit(() -> failRepeatedly(() -> LibC.close(-1), 9)),
              pool.submit(() -> failRepeatedly(() -> LibC.mprotect(1, 4096, 0), Errno.EINVAL)));
      for (Future<?> future : done) {
        future.get();
      }
    }
  }

  private static Void failRepeatedly(Runnable call, int errno) {
    for (int i = 0; i < 20_000; i++) {
      BackendException e = assertThrows(BackendException.class, call::run);
      assertEquals(errno, e.errno());
    }
    return null;
  }

  @Test
  void errnoTable_namesAndTexts() {
    assertEquals("ENOMEM", Errno.name(12));
    assertEquals("Cannot allocate memory", Errno.text(12));
    assertEquals("EINVAL", Errno.name(22));
    assertEquals("Invalid argument", Errno.text(22));
    assertEquals("ENOSPC", Errno.name(Errno.ENOSPC));
    assertEquals("errno 9999", Errno.name(9999));
    assertEquals("Unknown error 9999", Errno.text(9999));
    assertEquals("errno 0", Errno.name(0));
    assertEquals("errno -1", Errno.name(-1));
  }

  @Test
  void flagNames_coverUnknownBits() {
    assertEquals("PROT_NONE", LibC.protName(0));
    assertEquals("PROT_READ|0x4", LibC.protName(LibC.PROT_READ | 0x4));
    assertEquals("MAP_PRIVATE|MAP_FIXED", LibC.mapFlagsName(LibC.MAP_PRIVATE | LibC.MAP_FIXED));
    assertEquals("0x0", LibC.mapFlagsName(0));
  }
}
