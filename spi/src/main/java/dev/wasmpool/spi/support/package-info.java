/**
 * Helpers for writing backends: shared bookkeeping that every {@link dev.wasmpool.spi.Reservation}
 * implementation needs, such as which ranges are accessible and which image is mapped where.
 */
package dev.wasmpool.spi.support;
