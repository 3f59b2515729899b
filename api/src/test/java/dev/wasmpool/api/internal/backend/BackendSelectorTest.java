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

  private record FixedProvider(String name, int priority, Support support) implements BackendProvider {
    @Override
    public Backend create() {
      throw new UnsupportedOperationException("selection only");
    }
  }
}
