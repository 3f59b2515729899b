package dev.wasmpool.bench;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Chicory memory that costs nothing to hand to a new instance: built once with the module's data
 * in place (a {@link ByteArrayMemory} of a first instance), and {@link #initialize} and {@link
 * #zero()} do nothing. Every other operation is the {@code ByteArrayMemory}'s. The {@code
 * chicory-floor} subject ({@link Subject}) instantiates with it, so its figure is Chicory's own
 * {@code Instance.Builder.build()} alone.
 *
 * <p>Not a memory for real use: every instance made with the factory shares it.
 */
final class FloorMemory implements Memory {

  private final Memory memory;

  private FloorMemory(Memory memory) {
    this.memory = memory;
  }

  /**
   * A factory that always returns the same floor memory, holding the module's data.
   *
   * @param module the module whose memory 0 (with its data) the memory is
   * @param imports what the module imports, or {@code null} for nothing
   * @return the factory
   */
  static Function<MemoryLimits, Memory> factory(WasmModule module, @Nullable ImportValues imports) {
    Instance.Builder builder = Instance.builder(module).withMemoryFactory(ByteArrayMemory::new).withStart(false);
    if (imports != null) {
      builder.withImportValues(imports);
    }
    FloorMemory floor = of(builder.build().memory());
    return limits -> floor;
  }

  /**
   * A floor memory over a memory already initialised.
   *
   * @param built the memory, its data in place
   * @return the floor memory, which uses {@code built}
   */
  static FloorMemory of(Memory built) {
    return new FloorMemory(built);
  }

  /** Does nothing: the data is in place since the memory was built. */
  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments) {}

  /** Does nothing: the data is in place since the memory was built. */
  @Override
  public void initialize(Instance instance, DataSegment[] dataSegments, int memoryIndex) {}

  /** Does nothing: the memory is as built. */
  @Override
  public void zero() {}

  @Override
  public int pages() {
    return memory.pages();
  }

  @Override
  public int grow(int size) {
    return memory.grow(size);
  }

  @Override
  public int initialPages() {
    return memory.initialPages();
  }

  @Override
  public int maximumPages() {
    return memory.maximumPages();
  }

  @Override
  public boolean shared() {
    return memory.shared();
  }

  @Override
  public Object lock(int address) {
    return memory.lock(address);
  }

  @Override
  public int waitOn(int address, int expected, long timeout) {
    return memory.waitOn(address, expected, timeout);
  }

  @Override
  public int waitOn(int address, long expected, long timeout) {
    return memory.waitOn(address, expected, timeout);
  }

  @Override
  public int notify(int address, int maxThreads) {
    return memory.notify(address, maxThreads);
  }

  @Override
  public void initPassiveSegment(int segmentId, int dest, int offset, int size) {
    memory.initPassiveSegment(segmentId, dest, offset, size);
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    memory.write(addr, data, offset, size);
  }

  @Override
  public byte read(int addr) {
    return memory.read(addr);
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    return memory.readBytes(addr, len);
  }

  @Override
  public void writeI32(int addr, int data) {
    memory.writeI32(addr, data);
  }

  @Override
  public int readInt(int addr) {
    return memory.readInt(addr);
  }

  @Override
  public void writeLong(int addr, long data) {
    memory.writeLong(addr, data);
  }

  @Override
  public long readLong(int addr) {
    return memory.readLong(addr);
  }

  @Override
  public void writeShort(int addr, short data) {
    memory.writeShort(addr, data);
  }

  @Override
  public short readShort(int addr) {
    return memory.readShort(addr);
  }

  @Override
  public long readU16(int addr) {
    return memory.readU16(addr);
  }

  @Override
  public void writeByte(int addr, byte data) {
    memory.writeByte(addr, data);
  }

  @Override
  public void writeF32(int addr, float data) {
    memory.writeF32(addr, data);
  }

  @Override
  public long readF32(int addr) {
    return memory.readF32(addr);
  }

  @Override
  public float readFloat(int addr) {
    return memory.readFloat(addr);
  }

  @Override
  public void writeF64(int addr, double data) {
    memory.writeF64(addr, data);
  }

  @Override
  public double readDouble(int addr) {
    return memory.readDouble(addr);
  }

  @Override
  public long readF64(int addr) {
    return memory.readF64(addr);
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    memory.fill(value, fromIndex, toIndex);
  }

  @Override
  public void drop(int segment) {
    memory.drop(segment);
  }

  @Override
  public void copy(int dest, int src, int size) {
    memory.copy(dest, src, size);
  }
}
