package dev.wasmpool.api;

import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.PooledModule;
import static dev.wasmpool.api.testing.Modules.data;
import static dev.wasmpool.api.testing.Modules.withMemory;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** The engine contract on the Linux backend, plus what only {@code /proc/self} can show. */
@EnabledOnOs(OS.LINUX)
class LinuxEngineTest extends EngineContractTest {

  private static final String MEMFD = "memfd:wasm-memory-image";

  @Override
  String backend() {
    return "linux";
  }

  /**
   * Mappings of image files: with {@code writable}, the copy-on-write mappings in slots ({@code
   * rw-p}); without, all of them (the backend also keeps one read-only mapping per open image).
   */
  private static long imageMappings(boolean writable) throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines
          .filter(l -> l.contains(MEMFD))
          .filter(l -> !writable || l.split(" +")[1].startsWith("rw"))
          .count();
    }
  }

  private static long imageDescriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(
              fd -> {
                try {
                  return Files.readSymbolicLink(fd).toString().contains(MEMFD);
                } catch (IOException e) {
                  return false; // the descriptor closed while listing
                }
              })
          .count();
    }
  }

  @Test
  void affinity_imageMappedOnceAcrossReuse_moduleClosePurgesMappingsAndDescriptor()
      throws IOException {
    long slotMappingsBefore = imageMappings(true);
    long mappingsBefore = imageMappings(false);
    long descriptorsBefore = imageDescriptors();
    Engine engine = engine(pool().build());
    PooledModule module = engine.register(withMemory("a", 1, -1, data(0, "A-data")));
    for (int i = 0; i < 5; i++) {
      module.allocate().close();
    }
    assertEquals(slotMappingsBefore + 1, imageMappings(true), "one slot keeps the image mapped");
    assertEquals(descriptorsBefore + 1, imageDescriptors());
    List<InstanceAllocation> live = List.of(module.allocate(), module.allocate());
    assertEquals(slotMappingsBefore + 2, imageMappings(true));
    live.forEach(InstanceAllocation::close);
    module.close();
    assertEquals(slotMappingsBefore, imageMappings(true), "no slot maps the closed module's image");
    assertEquals(mappingsBefore, imageMappings(false), "the closed image is unmapped everywhere");
    assertEquals(descriptorsBefore, imageDescriptors(), "its memfd is released");
  }

  @Test
  void nativeAccess_enabledForTheApiModule() {
    assertEquals(true, Engine.class.getModule().isNativeAccessEnabled());
  }
}
