package dev.wasmpool.api.internal.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Makes the segments handed to tenants: views of slot memory whose lifetime is the allocation's
 * arena, so that closing the allocation makes every stale handle throw {@link
 * IllegalStateException} before the slot can reach its next tenant.
 *
 * <p>This is the api module's only restricted call ({@link MemorySegment#reinterpret(Arena,
 * java.util.function.Consumer)}); the JVM must allow native access to {@code dev.wasmpool.api}
 * ({@code --enable-native-access=dev.wasmpool.api}, or {@code ALL-UNNAMED} on the class path).
 *
 * <p>Why every backend, the portable one included, needs it: a slot's memory outlives its tenants,
 * but each tenant's handles must die with its instance. The FFM API gives a segment a lifetime
 * only when the memory is allocated ({@code Arena.allocate}) or through {@code reinterpret}; no
 * unrestricted method binds memory that already exists to a new arena. Allocating per tenant
 * would zero the whole memory on every instantiation, which is what pooling avoids; a heap
 * segment cannot be revoked at all. So without the flag the JDK warns once for this module (and
 * {@code --illegal-native-access=deny} refuses the call); the engine warns first, naming the flag.
 */
final class SegmentViews {

  private SegmentViews() {}

  /**
   * A view of {@code byteSize} bytes of {@code whole} from {@code offset}, alive while {@code
   * arena} is.
   *
   * @param whole the reservation's segment, native
   * @param offset the view's start in {@code whole}
   * @param byteSize the view's size
   * @param arena the owner of the view's lifetime
   * @return the view
   * @throws IllegalStateException if the backend's segment is not native (a heap segment cannot
   *     be bound to an arena)
   */
  // "restricted": the one restricted call of the module. "nullness:argument": the JDK allows a
  // null cleanup action, and none is wanted (a cleanup would cost a registration per view).
  @SuppressWarnings({"restricted", "nullness:argument"})
  static MemorySegment view(MemorySegment whole, long offset, long byteSize, Arena arena) {
    if (!whole.isNative()) {
      throw new IllegalStateException(
          "the memory backend returned a heap segment; wasmpool needs native segments to bound the"
              + " lifetime of memory handles");
    }
    return whole.asSlice(offset, byteSize).reinterpret(arena, null);
  }
}
