/**
 * The contract between wasmpool's pool and the memory backends.
 *
 * <p>A backend reserves address space, changes its protection, resets it, maps copy-on-write
 * memory images into it and, where the hardware allows, colours it with protection keys. The
 * engine in {@code dev.wasmpool.api} finds backends with {@link java.util.ServiceLoader} through
 * {@link dev.wasmpool.spi.BackendProvider}.
 */
module dev.wasmpool.spi {
  // Transitive, not static: the exported signatures carry Checker type annotations, and a consumer
  // that reads this module must read their module too (Kotlin rejects a type whose annotation class
  // is inaccessible). checker-qual holds annotations only and is a compile-scope dependency.
  requires transitive org.checkerframework.checker.qual;

  exports dev.wasmpool.spi;
  exports dev.wasmpool.spi.support;
}
