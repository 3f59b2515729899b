package dev.wasmpool.spi.support;

import dev.wasmpool.spi.BackendException;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Counts the reservations and images a backend has handed out and not yet seen closed, so that
 * the backend refuses to close under them and refuses new ones once closed.
 *
 * <p>Thread-safe.
 */
public final class OpenResources {

  private final String backendName;
  private int reservations;
  private int images;
  private boolean closed;

  /**
   * Starts counting.
   *
   * @param backendName the backend's name, for messages
   */
  public OpenResources(String backendName) {
    this.backendName = backendName;
  }

  /**
   * Counts a reservation about to be made.
   *
   * @param operation the operation, for the message
   * @param args its arguments, for the message
   * @throws BackendException if the backend was closed
   */
  public synchronized void reservationOpened(String operation, String args) {
    requireOpen(operation, args);
    reservations++;
  }

  /**
   * Counts an image about to be made.
   *
   * @param operation the operation, for the message
   * @param args its arguments, for the message
   * @throws BackendException if the backend was closed
   */
  public synchronized void imageOpened(String operation, String args) {
    requireOpen(operation, args);
    images++;
  }

  /**
   * Counts an image and creates it, taking the count back if creation fails.
   *
   * @param args the operation's arguments, for messages
   * @param create makes the image
   * @param <T> the image type
   * @return the image
   * @throws BackendException if the backend was closed, or what {@code create} throws
   */
  public <T> T createImage(String args, Supplier<T> create) {
    imageOpened("createImage", args);
    try {
      return create.get();
    } catch (RuntimeException e) {
      imageClosed();
      throw e;
    }
  }

  /** A reservation was closed (or failed to be made after being counted). */
  public synchronized void reservationClosed() {
    reservations--;
  }

  /** An image was closed (or failed to be made after being counted). */
  public synchronized void imageClosed() {
    images--;
  }

  /**
   * Marks the backend closed; a second call does nothing.
   *
   * @throws BackendException if reservations or images are still open
   */
  public synchronized void close() {
    if (closed) {
      return;
    }
    if (reservations > 0 || images > 0) {
      throw new BackendException(
          "close",
          "backend=" + backendName,
          String.format(
              Locale.ROOT,
              "%d reservations and %d images are still open; close them first",
              reservations,
              images));
    }
    closed = true;
  }

  private void requireOpen(String operation, String args) {
    if (closed) {
      throw new BackendException(operation, args, "the backend was closed");
    }
  }
}
