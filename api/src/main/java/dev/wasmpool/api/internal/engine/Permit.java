package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.AccountedResource;
import dev.wasmpool.api.ResourcePermit;
import dev.wasmpool.api.internal.limits.CountLimit;
import java.util.concurrent.atomic.AtomicBoolean;

/** One unit of an accounted resource; gives it back once. Thread-safe. */
final class Permit implements ResourcePermit {

  private final AccountedResource resource;
  private final CountLimit limit;
  private final AtomicBoolean closed = new AtomicBoolean();

  Permit(AccountedResource resource, CountLimit limit) {
    this.resource = resource;
    this.limit = limit;
  }

  @Override
  public AccountedResource resource() {
    return resource;
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      limit.release();
    }
  }

  @Override
  public String toString() {
    return "ResourcePermit[" + resource + (closed.get() ? ", closed" : "") + "]";
  }
}
