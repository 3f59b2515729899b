/**
 * Backend contract: {@link dev.wasmpool.spi.BackendProvider} (the service), {@link
 * dev.wasmpool.spi.Backend} (one instance per engine), {@link dev.wasmpool.spi.Reservation} (a
 * range of address space), {@link dev.wasmpool.spi.MemoryImage} (immutable initial contents mapped
 * copy-on-write) and {@link dev.wasmpool.spi.ProtectionKeys}.
 *
 * <p>Glossary:
 *
 * <ul>
 *   <li><b>reservation</b>: address space owned by the pool; inaccessible and zero until made
 *       accessible.
 *   <li><b>baseline</b>: what a range reads after a reset: the bytes of the image mapped there, or
 *       zero where no image is mapped.
 *   <li><b>decommit</b>: hand a range's physical pages back to the system while keeping its
 *       baseline contents observable (Linux: {@code madvise(MADV_DONTNEED)}).
 *   <li><b>keep-resident prefix</b>: the leading bytes of a range reset by writing (fill or copy)
 *       instead of decommitting, so that the next tenant takes no page faults there.
 * </ul>
 *
 * <p>All offsets and lengths are in bytes and, unless a method says otherwise, must be multiples
 * of {@link dev.wasmpool.spi.Backend#pageSize()}; a backend rejects other values with {@link
 * dev.wasmpool.spi.BackendException} and never crashes the JVM.
 */
package dev.wasmpool.spi;
