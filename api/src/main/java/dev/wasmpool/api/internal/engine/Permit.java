package dev.wasmpool.api.internal.engine;

import dev.wasmpool.api.binding.AccountedResource;
import dev.wasmpool.api.binding.ResourcePermit;
import dev.wasmpool.api.internal.limits.CountLimit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One unit of an accounted resource, taken when the permit is made and given back once, on the
 * first close. Thread-safe.
 */
final class Permit implements ResourcePermit {

  private final AccountedResource resource;
  private final CountLimit limit;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Takes one unit from {@code limit}.
   *
   * @throws dev.wasmpool.api.PoolExhaustedException if the limit is reached
   */
  Permit(AccountedResource resource, CountLimit limit) {
    this.resource = resource;
    this.limit = limit;
    limit.acquire();
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
