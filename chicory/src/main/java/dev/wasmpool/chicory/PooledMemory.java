package dev.wasmpool.chicory;

import static com.dylibso.chicory.runtime.ConstantEvaluators.computeConstantValue;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.SlotMemory;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Chicory {@link Memory} whose bytes live in a pool slot: wasmpool's runtime-neutral {@link
 * SlotMemory} (bounds, loads and stores, atomics, revocation), with Chicory's exceptions and
 * Chicory's data segments.
 *
 * <p>Behaviour matches Chicory's own {@code ByteArrayMemory}: the same exception types and
 * messages for out-of-bounds accesses ({@link WasmRuntimeException} while running, {@link
 * UninstantiableException} for active data that does not fit), the same {@code memory.grow}
 * results within the declared maximum, and the same handling of data segments, {@code
 * memory.init} and {@code data.drop}; where pooling differs, {@link SlotMemory} says how. Also:
 *
 * <ul>
 *   <li><b>Image data is not rewritten, and nothing is decided per instance.</b> The first
 *       initialisation by an instance of the module follows the plan made at load ({@link
 *       DataSegmentCache#plan()}): when {@link LinearMemory#imageInPlace()} says the slot holds the
 *       module's image, nothing is written or evaluated, whatever the number of segments;
 *       otherwise the module's active segments are written in order, evaluating only offsets that
 *       are not constant. (A segment dropped by code that ran before the first initialisation, which
 *       only {@code withInitialize(false)} allows, is still written from the module.) A later
 *       initialisation, or one for another module's instance, writes what that instance's segments
 *       say, as Chicory does.
 *   <li><b>Use after close throws {@link IllegalStateException}</b>, which is not a Wasm trap (not a
 *       {@link ChicoryException}). (When another thread than the one that instantiated closes the
 *       instance, that thread's accesses still reach the instance's own bytes until its slot is
 *       released, which waits for them; see {@link dev.wasmpool.api.binding.InstanceAllocation}.)
 * </ul>
 *
 * <p>Thread-safety: as Chicory's memories for unshared memory; {@link #grow(int)} and {@link
 * #initialize(Instance, DataSegment[], int)} must not race with other accesses.
 */
final class PooledMemory extends SlotMemory implements Memory {

  /** The module's data, for the load-time plan and copy-free segment bytes. */
  private final DataSegmentCache moduleData;

  /** The data segments of the instance that initialised this memory last; drops write into it. */
  private DataSegment @Nullable [] dataSegments;

  /**
   * Creates a memory over a pool slot.
   *
   * @param linear the slot, sized to {@code limits.initialPages()}
   * @param limits the limits Chicory asked for (the module's, or those of {@code withMemoryLimits})
   * @param moduleData the data segments of the module that defines this memory
   * @throws IllegalArgumentException if the limits are shared, the initial size exceeds {@link
   *     #RUNTIME_MAX_PAGES}, the slot's size differs from the initial size, or the slot is not
   *     8-byte aligned
   */
  PooledMemory(LinearMemory linear, MemoryLimits limits, DataSegmentCache moduleData) {
    super(linear, limits.initialPages(), limits.maximumPages(), limits.shared());
    this.moduleData = moduleData;
  }

  /**
   * The rights guest code needs to reach this memory's slot, for instances that import it.
   *
   * @return the slot's rights
   */
  GuestRights guestRights() {
    return linear().guestRights();
  }

  // ---- Chicory's exceptions -------------------------------------------------------------------

  @Override
  protected RuntimeException trap(String message) {
    return new WasmRuntimeException(message);
  }

  @Override
  protected RuntimeException unalignedAtomic() {
    return new InvalidException("unaligned atomic");
  }

  @Override
  protected RuntimeException waitOnUnshared() {
    return new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  // ---- initialisation and data segments -------------------------------------------------------

  @Override
  public void initialize(Instance instance, DataSegment @Nullable [] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  @Override
  public void initialize(
      Instance instance, DataSegment @Nullable [] dataSegments, int memoryIndex) {
    boolean first = initializing();
    this.dataSegments = dataSegments;
    if (dataSegments == null) {
      return;
    }
    if (first && moduleData.isModule(instance.module())) {
      // The load-time plan: nothing to do when the image is in place, else the module's segments
      // with their constant offsets (only the others are evaluated).
      moduleData
          .plan()
          .initialize(
              memoryIndex,
              linear().imageInPlace(),
              sizeInBytes(),
              segmentIndex -> evaluatedOffset(instance, moduleData.segment(segmentIndex)),
              UninstantiableException::new,
              (offset, data) -> write(offset, data, 0, data.length));
      return;
    }
    // Initialised again, or for another module's instance (an imported memory): what the
    // instance's segments say now, as Chicory does.
    for (int i = 0; i < dataSegments.length; i++) {
      DataSegment candidate = dataSegments[i];
      if (candidate instanceof ActiveDataSegment active) {
        if (active.index() != memoryIndex) {
          continue;
        }
        byte[] data = moduleData.bytes(i, active);
        int offset = evaluatedOffset(instance, active);
        checkBounds(offset, data.length, sizeInBytes(), UninstantiableException::new);
        write(offset, data, 0, data.length);
      } else if (!(candidate instanceof PassiveDataSegment)) {
        throw new ChicoryException("Data segment should be active or passive: " + candidate);
      }
    }
  }

  private static int evaluatedOffset(Instance instance, DataSegment segment) {
    return (int) computeConstantValue(instance, ((ActiveDataSegment) segment).offsetInstructions())[0];
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    DataSegment[] segments = dataSegments;
    if (segments == null) {
      throw new IllegalStateException("memory.init before the memory was initialised");
    }
    write(dest, moduleData.bytes(segmentId, segments[segmentId]), offset, size);
  }

  @Override
  public void drop(int segment) {
    DataSegment[] segments = dataSegments;
    if (segments == null) {
      throw new IllegalStateException("data.drop before the memory was initialised");
    }
    segments[segment] = PassiveDataSegment.EMPTY;
  }
}
