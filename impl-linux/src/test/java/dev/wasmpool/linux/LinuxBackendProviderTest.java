package dev.wasmpool.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.Support;
import java.lang.module.ModuleDescriptor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The provider on Linux: supported, found as a service, and never silently degraded. */
@EnabledOnOs(OS.LINUX)
class LinuxBackendProviderTest {

  @Test
  void tests_runInsideTheModuleWithNativeAccess() {
    assertEquals("dev.wasmpool.linux", getClass().getModule().getName());
    assertTrue(getClass().getModule().isNativeAccessEnabled(), "--enable-native-access is set");
  }

  @Test
  void support_onLinux_isSupported() {
    // A silent fallback to the portable backend on Linux would hide a broken binding: fail here.
    Support support = new LinuxBackendProvider().support();
    assertTrue(support.supported(), support.reason());
  }

  @Test
  void moduleDescriptor_providesTheService() {
    ModuleDescriptor descriptor = LinuxBackendProvider.class.getModule().getDescriptor();
    assertTrue(
        descriptor.provides().stream()
            .anyMatch(
                p ->
                    p.service().equals(BackendProvider.class.getName())
                        && p.providers().equals(List.of(LinuxBackendProvider.class.getName()))),
        descriptor.provides().toString());
  }

  @Test
  void create_reportsLinuxCapabilitiesAndPageSize() throws Exception {
    try (Backend backend = new LinuxBackendProvider().create()) {
      assertEquals("linux", backend.name());
      assertEquals(new Capabilities(true, true, true, ProtectionKeyProbe.answer().keys()),
          backend.capabilities());
      long expected = Long.parseLong(
          new ProcessBuilder("getconf", "PAGESIZE").start().inputReader().readLine().trim());
      assertEquals(expected, backend.pageSize(), "sysconf(_SC_PAGESIZE) matches getconf");
      assertTrue(new LinuxBackendProvider().priority() > 0, "above the portable backend");
    }
  }
}
