/**
 * The portable backend: plain Java, no native calls, any operating system.
 *
 * <ul>
 *   <li>{@link dev.wasmpool.portable.PortableBackendProvider}: the service; always supported,
 *       lowest priority.
 *   <li>{@code PortableBackend}: 4 KiB pages, no virtual reservation, no copy-on-write, no lazy
 *       reset, no protection keys.
 *   <li>{@code PortableReservation}: memory committed lazily from a shared arena and grown
 *       geometrically; old backing segments stay allocated until the reservation closes.
 *   <li>{@code PortableImage}: a copy of the image's bytes; mapping copies, resets fill and copy.
 *   <li>{@code dev.wasmpool.spi.support.RangeMap} (from the spi): accessible pages and image mappings per reservation.
 * </ul>
 */
package dev.wasmpool.portable;
