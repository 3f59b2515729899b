/**
 * The Linux backend over the FFM API.
 *
 * <ul>
 *   <li>{@link dev.wasmpool.linux.LinuxBackendProvider}: the service; supported on Linux x86-64
 *       and aarch64 when native access is enabled for this module.
 *   <li>{@code LinuxBackend}, {@code LinuxReservation}, {@code LinuxImage}: reservations as {@code
 *       mmap}ed address space, images as sealed {@code memfd}s mapped copy-on-write, resets by
 *       {@code madvise(MADV_DONTNEED)}.
 *   <li>{@code LibC}, {@code PkeyCalls}: the only native bindings, one method handle per function;
 *       {@code Errno}: error names and texts.
 *   <li>{@code ProtectionKeyProbe}, {@code LinuxProtectionKeys}: memory protection keys, used only
 *       where {@code /proc/cpuinfo} lists {@code pku} and {@code ospke} and {@code pkey_alloc}
 *       succeeds.
 *   <li>{@code dev.wasmpool.spi.support.RangeMap} (from the spi): the per-reservation bookkeeping (accessible pages, image mappings,
 *       colours) that lets every argument be checked in Java before a system call.
 * </ul>
 */
package dev.wasmpool.linux;
