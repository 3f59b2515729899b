/**
 * wasmpool's Linux backend: {@code mmap} reservations, {@code memfd} copy-on-write images, {@code
 * madvise} resets and protection keys, called through the FFM API.
 *
 * <p>Needs {@code --enable-native-access=dev.wasmpool.api,dev.wasmpool.linux} (the engine makes
 * restricted calls too), or {@code ALL-UNNAMED} on the class path.
 */
module dev.wasmpool.linux {
  requires dev.wasmpool.spi;
  requires static org.checkerframework.checker.qual;

  provides dev.wasmpool.spi.BackendProvider with
      dev.wasmpool.linux.LinuxBackendProvider;
}
