/**
 * wasmpool's portable backend: plain Java memory segments, no native calls, any operating system.
 */
module dev.wasmpool.portable {
  requires dev.wasmpool.spi;
  requires static org.checkerframework.checker.qual;

  provides dev.wasmpool.spi.BackendProvider with
      dev.wasmpool.portable.PortableBackendProvider;
}
