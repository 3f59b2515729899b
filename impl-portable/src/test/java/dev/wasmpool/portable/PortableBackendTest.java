package dev.wasmpool.portable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.Support;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What the portable backend promises about itself: no native code, runs anywhere. */
class PortableBackendTest {

  @Test
  void provider_supportedEverywhereWithLowestPriority() {
    PortableBackendProvider provider = new PortableBackendProvider();
    Support support = provider.support();
    assertTrue(support.supported(), support.reason());
    assertEquals(0, provider.priority());
    assertEquals("portable", provider.name());
  }

  @Test
  void create_hasNoVirtualMemoryFeaturesAndFourKibPages() {
    try (Backend backend = new PortableBackendProvider().create()) {
      assertEquals(new Capabilities(false, false, false, 0), backend.capabilities());
      assertEquals(4096, backend.pageSize());
    }
  }

  @Test
  void tests_runInsideTheModuleWithNativeAccessDenied() {
    // The pom runs these tests with --illegal-native-access=deny and without
    // --enable-native-access: any restricted FFM call on the paths tested here would throw.
    assertEquals("dev.wasmpool.portable", getClass().getModule().getName());
    assertFalse(PortableBackend.class.getModule().isNativeAccessEnabled());
  }

  @Test
  void classes_referenceNoNativeOrPlatformSpecificApi() throws IOException {
    // Static check of every class of the module, including paths no test reaches.
    List<String> forbidden =
        List.of(
            "java/lang/foreign/Linker",
            "java/lang/foreign/SymbolLookup",
            "reinterpret",
            "loadLibrary",
            "/proc/",
            "sun/misc/Unsafe",
            "jdk/internal");
    List<String> found = new ArrayList<>();
    try (Stream<Path> classes = moduleClasses()) {
      for (Path path : classes.toList()) {
        String bytes = new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1);
        for (String name : forbidden) {
          if (bytes.contains(name)) {
            found.add(path.getFileName() + " mentions " + name);
          }
        }
      }
    }
    assertEquals(List.of(), found);
  }

  private static Stream<Path> moduleClasses() throws IOException {
    Path location;
    try {
      location =
          Path.of(PortableBackend.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    Path root = location;
    if (Files.isRegularFile(location)) {
      FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + location.toUri()), Map.of());
      root = jar.getPath("/");
    }
    Stream<Path> classes =
        Files.walk(root).filter(p -> p.toString().endsWith(".class"));
    assertTrue(
        Files.exists(root.resolve("dev/wasmpool/portable/PortableReservation.class")),
        "scanning the module's classes at " + root);
    return classes;
  }
}
