package dev.wasmpool.api.internal.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendProvider;
import dev.wasmpool.spi.Support;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class BackendSelectorTest {

  @Test
  void discover_findsBothProvidersThroughTheModuleLayer() {
    List<BackendProvider> providers = BackendSelector.discover().providers();
    Set<String> modules =
        providers.stream()
            .map(p -> String.valueOf(p.getClass().getModule().getName()))
            .collect(Collectors.toSet());
    assertEquals(Set.of("dev.wasmpool.linux", "dev.wasmpool.portable"), modules);
    assertTrue(BackendSelectorTest.class.getModule().isNamed(), "tests run inside the module");
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void select_auto_prefersLinuxOnLinux() {
    assertEquals("linux", BackendSelector.discover().select(null).name());
  }

  @Test
  void select_forced_portable() {
    assertEquals("portable", BackendSelector.discover().select("portable").name());
  }

  @Test
  void select_unknownName_listsProviders() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> BackendSelector.discover().select("bsd"));
    assertTrue(e.getMessage().startsWith("backend 'bsd' was not found; providers found: "), e.getMessage());
    assertTrue(e.getMessage().contains("portable (priority 0, supported)"), e.getMessage());
  }

  @Test
  void select_forcedButUnsupported_givesTheReason() {
    BackendSelector selector =
        new BackendSelector(List.of(new FixedProvider("fast", 10, Support.unsupported("needs a GPU"))));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> selector.select("fast"));
    assertEquals(
        "backend 'fast' cannot run here: needs a GPU; providers found: fast (priority 10,"
            + " unsupported: needs a GPU)",
        e.getMessage());
  }

  @Test
  void select_auto_skipsUnsupportedAndTakesHighestPriority() {
    BackendSelector selector =
        new BackendSelector(
            List.of(
                new FixedProvider("a", 5, Support.supported("ok")),
                new FixedProvider("b", 50, Support.unsupported("no")),
                new FixedProvider("c", 7, Support.supported("ok"))));
    assertEquals("c", selector.select(null).name());
  }

  @Test
  void decide_betterProviderLacksNativeAccess_warnsWithTheFlagForEveryModule() {
    BackendSelector selector =
        new BackendSelector(
            List.of(
                new FixedProvider("fast", 100, Support.nativeAccessDisabled("native access is not enabled for x")),
                new FixedProvider("slow", 0, Support.supported("ok"))));
    BackendSelector.Decision decision = selector.decide();
    assertEquals("slow", decision.provider().name());
    // The providers live in the test's module, dev.wasmpool.api itself: the flag names it once.
    assertEquals(
        List.of(
            "wasmpool backend 'fast' (priority 100) is present but cannot run: native access is not"
                + " enabled for x; every engine of this JVM uses backend 'slow' instead. To use"
                + " 'fast', start the JVM with --enable-native-access=dev.wasmpool.api"),
        decision.warnings());
  }

  @Test
  void decide_betterProviderCannotRunForAnotherReason_noWarning() {
    BackendSelector selector =
        new BackendSelector(
            List.of(
                new FixedProvider("fast", 100, Support.unsupported("needs another OS")),
                new FixedProvider("slow", 0, Support.supported("ok"))));
    assertEquals(List.of(), selector.decide().warnings(), "no flag would help");
  }

  @Test
  void select_forcedButLacksNativeAccess_namesTheFlag() {
    BackendSelector selector =
        new BackendSelector(
            List.of(new FixedProvider("fast", 10, Support.nativeAccessDisabled("native access is not enabled for x"))));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> selector.select("fast"));
    assertEquals(
        "backend 'fast' cannot run here: native access is not enabled for x; start the JVM with"
            + " --enable-native-access=dev.wasmpool.api; providers found: fast (priority 10,"
            + " unsupported: native access is not enabled for x)",
        e.getMessage());
  }

  @Test
  void automatic_isOneDecisionPerJvm() {
    assertTrue(BackendSelector.automatic() == BackendSelector.automatic());
  }

  private record FixedProvider(String name, int priority, Support support) implements BackendProvider {
    @Override
    public Backend create() {
      throw new UnsupportedOperationException("selection only");
    }
  }
}
