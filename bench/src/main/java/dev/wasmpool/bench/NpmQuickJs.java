package dev.wasmpool.bench;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Emscripten's QuickJS from the npm registry ({@code @jitl/quickjs-wasmfile-release-sync} 0.32.0,
 * the bench resource {@code /npm/emscripten-module.wasm}) and the engine its benchmarks run on.
 */
final class NpmQuickJs {

  private NpmQuickJs() {}

  /**
   * Parses the module.
   *
   * @return a new parse of the module (Chicory's own tables change a module's limits when they grow)
   */
  static WasmModule module() {
    InputStream resource = NpmQuickJs.class.getResourceAsStream("/npm/emscripten-module.wasm");
    if (resource == null) {
      throw new IllegalStateException("bench resource /npm/emscripten-module.wasm is missing");
    }
    try (InputStream in = resource) {
      return Parser.parse(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A Linux-backed engine for it: 4 memories and tables, memories of up to 64 MiB, tables of 1000.
   *
   * @return the engine, owned by the caller
   */
  static Engine engine() {
    return engine("linux");
  }

  /**
   * An engine for it on a backend: 4 memories and tables, memories of up to 64 MiB, tables of 1000.
   *
   * @param backend the backend's name, {@code "linux"} or {@code "portable"}
   * @return the engine, owned by the caller
   */
  static Engine engine(String backend) {
    return Engine.create(
        EngineConfig.builder()
            .backend(backend)
            .memoryReservation(64L << 20)
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder()
                        .totalMemories(4)
                        .totalTables(4)
                        .tableElements(1000)
                        .maxMemorySize(64L << 20)
                        .build()))
            .build());
  }
}
