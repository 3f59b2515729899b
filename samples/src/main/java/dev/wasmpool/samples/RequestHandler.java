package dev.wasmpool.samples;

/**
 * Serves one request for one tenant: creates an instance of the tenant's module, calls its {@code
 * handle} export, and disposes of the instance.
 *
 * <p>Implementations must be thread-safe: the workload calls them from several threads at once.
 */
@FunctionalInterface
interface RequestHandler {

  /**
   * Serves one request.
   *
   * @param tenant the tenant's index
   * @param seed the request's argument
   * @return what the module answered
   */
  int handle(int tenant, int seed);
}
