package dev.wasmpool.endive;

import static run.endive.runtime.ConstantEvaluators.computeConstantValue;

import dev.wasmpool.api.binding.LinearMemory;
import dev.wasmpool.api.binding.SlotMemory;
import org.checkerframework.checker.nullness.qual.Nullable;
import run.endive.runtime.Instance;
import run.endive.runtime.Memory;
import run.endive.runtime.WasmRuntimeException;
import run.endive.wasm.InvalidException;
import run.endive.wasm.UninstantiableException;
import run.endive.wasm.WasmEngineException;
import run.endive.wasm.types.ActiveDataSegment;
import run.endive.wasm.types.DataSegment;
import run.endive.wasm.types.MemoryLimits;
import run.endive.wasm.types.PassiveDataSegment;

/**
 * An Endive {@link Memory} whose bytes live in a pool slot: wasmpool's runtime-neutral {@link
 * SlotMemory} with Endive's exceptions and data segments. It behaves as the Chicory binding's
 * memory does (Endive's {@code Memory} is Chicory 1.7.5's under another package): an instance of
 * the module whose slot holds the image writes and evaluates nothing at initialisation; a later
 * initialisation, or one for another module's instance, writes what that instance's segments say.
 *
 * <p>Thread-safety: as Endive's memories for unshared memory.
 */
final class EndiveMemory extends SlotMemory implements Memory {

  private final EndiveModuleData moduleData;

  /** The data segments of the instance that initialised this memory last; drops write into it. */
  private DataSegment @Nullable [] dataSegments;

  EndiveMemory(LinearMemory linear, MemoryLimits limits, EndiveModuleData moduleData) {
    super(linear, limits.initialPages(), limits.maximumPages(), limits.shared());
    this.moduleData = moduleData;
  }

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
    return new WasmEngineException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  public void initialize(Instance instance, DataSegment @Nullable [] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  @Override
  public void initialize(Instance instance, DataSegment @Nullable [] dataSegments, int memoryIndex) {
    boolean first = initializing();
    this.dataSegments = dataSegments;
    if (dataSegments == null) {
      return;
    }
    if (first && moduleData.isModule(instance.module())) {
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
        throw new WasmEngineException("Data segment should be active or passive: " + candidate);
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
