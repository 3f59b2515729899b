package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.Memory;
import dev.wasmpool.api.binding.InstanceAllocation;
import dev.wasmpool.api.binding.InstanceSlots;

/**
 * A memory from the pool for a module that imports its memory (as emscripten's output does): pass
 * {@link #importMemory()} in the instance's {@code ImportValues}, and close this object when the
 * instances that use it are done.
 *
 * <pre>{@code
 * try (ImportedMemory memory = module.importedMemory(0);
 *     PooledInstance instance = module.instantiate(b -> b.withImportValues(
 *         ImportValues.builder().addMemory(memory.importMemory()).addFunction(hostFunctions).build()))) {
 *   ...
 * }
 * }</pre>
 *
 * <p>The memory keeps every guarantee of a pooled memory: its slot has affinity with the importing
 * module's data (where that data qualifies for an image, the slot holds it and the first
 * instantiation writes nothing), {@link #close()} resets the slot and returns it, and every later
 * access through a kept {@code Memory} throws {@link IllegalStateException}. It takes one instance
 * slot ({@code totalCoreInstances}) and one memory slot from the pool. Instantiating a second time
 * with the same memory writes the module's data again, as WebAssembly requires.
 *
 * <p>Thread-safety: as {@link PooledInstance}.
 */
public final class ImportedMemory implements AutoCloseable {

  private final InstanceSlots slots;
  private final PooledMemory memory;
  private final ImportMemory importMemory;

  ImportedMemory(InstanceSlots slots, PooledMemory memory, String module, String name) {
    this.slots = slots;
    this.memory = memory;
    this.importMemory = new ImportMemory(module, name, memory);
  }

  /**
   * The memory.
   *
   * @return a Chicory memory over the pool slot
   */
  public Memory memory() {
    return memory;
  }

  /**
   * The memory as the import the module declares.
   *
   * @return an {@code ImportMemory} with the import's module and field names
   */
  public ImportMemory importMemory() {
    return importMemory;
  }

  /**
   * The pooled resources behind the memory.
   *
   * @return the allocation
   */
  public InstanceAllocation allocation() {
    return slots.allocation();
  }

  /** Revokes the memory and returns its slot to the pool, reset. Later calls do nothing. */
  @Override
  public void close() {
    slots.release();
  }
}
