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
import dev.wasmpool.api.binding.LinearMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A Chicory {@link Memory} whose bytes live in a pool slot: a view over a {@link LinearMemory}'s
 * segment.
 *
 * <p>Behaviour matches Chicory's own {@code ByteArrayMemory}: the same exception types and
 * messages for out-of-bounds accesses ({@link WasmRuntimeException} while running, {@link
 * UninstantiableException} for active data that does not fit), the same {@code memory.grow}
 * results within the declared maximum (growth the pool cannot hold returns {@code -1} too), and
 * the same handling of data segments, {@code memory.init} and {@code data.drop}. (One detail of
 * the messages differs: for a load that straddles the end of memory, Chicory's paged memories name
 * the first byte past the end with size 1, this memory names the access itself.) It differs where
 * pooling requires:
 *
 * <ul>
 *   <li><b>Shared memories are rejected</b> at construction, as the pooling allocator does;
 *       atomics on unshared memory are real atomic operations (never a lock), and waiting on an
 *       unshared memory fails as in Chicory.
 *   <li><b>{@link #zero()} right after construction does nothing</b>: the pool hands out a slot
 *       that is all zero, or that holds exactly the module's memory image, which the {@link
 *       #initialize(Instance, DataSegment[], int)} Chicory always calls next would produce anyway.
 *       Any later {@code zero()} clears the memory.
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
 *       {@link ChicoryException}): once the allocation is closed, every byte access through this
 *       object (loads, stores, bulk operations, atomics, {@code memory.grow}) fails, so a stale
 *       handle can never read or write the slot's next tenant. {@link #pages()} keeps answering
 *       the last size. (When another thread than the one that instantiated closes the instance,
 *       that thread's accesses still reach the instance's own bytes until its slot is released,
 *       which waits for them; see {@link dev.wasmpool.api.binding.InstanceAllocation}.)
 * </ul>
 *
 * <p>Thread-safety: as Chicory's memories for unshared memory. Accesses may come from any thread
 * (the thread that instantiated uses a view confined to it; the first access from another thread
 * switches the memory to the allocation's shared view); {@link #grow(int)} and {@link
 * #initialize(Instance, DataSegment[], int)} must not race with other accesses.
 */
final class PooledMemory implements Memory {

  // Little-endian as WebAssembly requires, whatever the host order.
  private static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
  private static final ValueLayout.OfShort SHORT =
      ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfInt INT =
      ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfLong LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfFloat FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  private static final ValueLayout.OfDouble DOUBLE =
      ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  // Atomic access: aligned layouts, whose var handles support CAS and get-and-op. Byte and short
  // handles support only plain and volatile access, so their read-modify-writes go through the
  // aligned int that contains them.
  private static final VarHandle ATOMIC_BYTE = ValueLayout.JAVA_BYTE.varHandle();
  private static final VarHandle ATOMIC_SHORT =
      ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
  private static final VarHandle ATOMIC_INT =
      ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
  private static final VarHandle ATOMIC_LONG =
      ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

  private static final int PAGE_SHIFT = 16;

  /** The pool slot; owns the segments. */
  private final LinearMemory linear;

  /** The limits the module declared. */
  private final MemoryLimits limits;

  /** {@code min(declared maximum, RUNTIME_MAX_PAGES)}, as Chicory reports it. */
  private final int maximumPages;

  /** The module's data, for image checks and copy-free segment bytes. */
  private final DataSegmentCache moduleData;

  /**
   * The current view of the slot, exactly {@link #pages} pages; replaced on growth. First the
   * allocation's local view, confined to the thread that instantiated (closing it costs nothing);
   * the first access from another thread fails with {@link WrongThreadException} and switches this
   * field to the shared view any thread may use ({@link #retry}). A thread that reads a stale value
   * reads a view valid for it, or fails and switches again.
   */
  private MemorySegment segment;

  /** The current size in pages; {@code segment.byteSize() >>> 16}. */
  private int pages;

  /** The data segments of the instance that initialised this memory last; drops write into it. */
  private DataSegment @Nullable [] dataSegments;

  /**
   * Set by the instance's close before the allocation closes: {@link #segment} is then empty, so
   * every access fails on the slow path, which reports the closed instance.
   */
  private boolean revoked;

  /** No {@code initialize} call yet: the slot holds what the pool handed out. */
  private boolean fresh = true;

  /**
   * Creates a memory over a pool slot.
   *
   * @param linear the slot, sized to the declared minimum
   * @param limits the limits the module declared for this memory
   * @param moduleData the data segments of the module that defines this memory
   * @throws IllegalArgumentException if the limits are shared, or the slot's size differs from the
   *     declared minimum, or the slot is not 8-byte aligned
   */
  PooledMemory(LinearMemory linear, MemoryLimits limits, DataSegmentCache moduleData) {
    if (limits.shared()) {
      throw new IllegalArgumentException("memory is shared which is not supported in the pooling allocator");
    }
    this.linear = linear;
    this.limits = limits;
    this.maximumPages = Math.min(limits.maximumPages(), RUNTIME_MAX_PAGES);
    this.moduleData = moduleData;
    this.segment = linear.localSegment();
    long slotPages = segment.byteSize() >>> PAGE_SHIFT;
    if (slotPages != limits.initialPages() || linear.pages() != slotPages) {
      throw new IllegalArgumentException(
          "slot size must equal the declared minimum of "
              + limits.initialPages()
              + " pages (was "
              + slotPages
              + " pages)");
    }
    if ((segment.address() & 7) != 0) {
      throw new IllegalArgumentException(
          "slot must be 8-byte aligned for atomics (was 0x" + Long.toHexString(segment.address()) + ")");
    }
    this.pages = (int) slotPages;
  }

  // ---- size -----------------------------------------------------------------------------------

  @Override
  public int pages() {
    return pages;
  }

  @Override
  public int grow(int size) {
    int previous = pages;
    long target = (long) previous + size;
    if (size < 0 || target > maximumPages) {
      return -1;
    }
    // Also when size is 0: a closed memory must fail here rather than answer.
    if (linear.grow(size) < 0) {
      return -1;
    }
    if (size > 0) {
      MemorySegment grown = linear.localSegment();
      assert grown.byteSize() == target << PAGE_SHIFT : "slot size after grow: " + grown.byteSize();
      segment = grown;
      pages = (int) target;
    }
    return previous;
  }

  @Override
  public int initialPages() {
    return limits.initialPages();
  }

  @Override
  public int maximumPages() {
    return maximumPages;
  }

  @Override
  public boolean shared() {
    return false;
  }

  private int sizeInBytes() {
    return pages << PAGE_SHIFT;
  }

  // ---- errors ---------------------------------------------------------------------------------

  private static String outOfBoundsMessage(int addr, int size, long limit) {
    return "out of bounds memory access: attempted to access address: "
        + addr
        + " but limit is: "
        + limit
        + " and size: "
        + size;
  }

  /**
   * Checks {@code [addr, addr + size)} against {@code [0, limit)} (overflow-free).
   *
   * @throws ChicoryException from {@code failure} when out of bounds
   */
  private static void checkBounds(
      int addr, int size, long limit, Function<String, ? extends ChicoryException> failure) {
    if (addr < 0 || size < 0 || (long) addr + size > limit) {
      throw failure.apply(outOfBoundsMessage(addr, size, limit));
    }
  }

  /**
   * Turns a failed segment access into what the memory reports: an out-of-bounds trap, or an
   * {@link IllegalStateException} naming the closed allocation. Anything else passes unchanged.
   */
  private RuntimeException accessFailure(RuntimeException e, int addr, int size) {
    if (revoked) {
      return closedFailure(e);
    }
    if (e instanceof IndexOutOfBoundsException) {
      return new WasmRuntimeException(outOfBoundsMessage(addr, size, sizeInBytes()));
    }
    if (e instanceof IllegalStateException && !segment.scope().isAlive()) {
      return closedFailure(e);
    }
    return e;
  }

  /**
   * The slow path of an access that failed: from another thread than the one that instantiated,
   * switches {@link #segment} to the shared view and runs the access again on it (the failed
   * access wrote nothing: the thread check precedes any write); any other failure becomes what the
   * memory reports ({@link #accessFailure}).
   */
  private <T> T retry(RuntimeException e, int addr, int size, Function<MemorySegment, T> access) {
    MemorySegment shared = sharedAfter(e, addr, size);
    try {
      return access.apply(shared);
    } catch (RuntimeException again) {
      throw accessFailure(again, addr, size);
    }
  }

  /** {@link #retry} for accesses that return nothing. */
  private void retryVoid(RuntimeException e, int addr, int size, Consumer<MemorySegment> access) {
    MemorySegment shared = sharedAfter(e, addr, size);
    try {
      access.accept(shared);
    } catch (RuntimeException again) {
      throw accessFailure(again, addr, size);
    }
  }

  private MemorySegment sharedAfter(RuntimeException e, int addr, int size) {
    if (!(e instanceof WrongThreadException)) {
      throw accessFailure(e, addr, size);
    }
    MemorySegment shared;
    try {
      shared = linear.segment();
    } catch (IllegalStateException closed) {
      throw closedFailure(closed);
    }
    segment = shared;
    return shared;
  }

  /**
   * Cuts this memory loose from its slot: every later access fails with {@link
   * IllegalStateException}. Called by the instance's close, on any thread, before the allocation
   * closes; costs no check on the fast path (the empty segment fails every access).
   */
  void revoke() {
    revoked = true;
    segment = MemorySegment.NULL;
  }

  private IllegalStateException closedFailure(RuntimeException cause) {
    return new IllegalStateException(
        "memory " + linear.index() + " belongs to a closed instance; its slot went back to the pool",
        cause);
  }

  // ---- initialisation and data segments -------------------------------------------------------

  @Override
  public void initialize(Instance instance, DataSegment @Nullable [] dataSegments) {
    initialize(instance, dataSegments, 0);
  }

  @Override
  public void initialize(
      Instance instance, DataSegment @Nullable [] dataSegments, int memoryIndex) {
    boolean first = fresh;
    fresh = false;
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
              linear.imageInPlace(),
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

  // ---- bulk -----------------------------------------------------------------------------------

  @Override
  public void zero() {
    if (fresh) {
      // The slot is as the pool handed it out: zero, or the image initialize() keeps. A closed
      // allocation still fails, as every access does.
      if (!segment.scope().isAlive()) {
        throw closedFailure(new IllegalStateException("Already closed"));
      }
      return;
    }
    fill((byte) 0, 0, sizeInBytes());
  }

  @Override
  public void fill(byte value, int fromIndex, int toIndex) {
    int size = toIndex - fromIndex;
    checkBounds(fromIndex, size, sizeInBytes(), WasmRuntimeException::new);
    try {
      segment.asSlice(fromIndex, size).fill(value);
    } catch (RuntimeException e) {
      retryVoid(e, fromIndex, size, s -> s.asSlice(fromIndex, size).fill(value));
    }
  }

  @Override
  public void copy(int dest, int src, int size) {
    int limit = sizeInBytes();
    checkBounds(dest, size, limit, WasmRuntimeException::new);
    checkBounds(src, size, limit, WasmRuntimeException::new);
    try {
      // MemorySegment.copy copies overlapping ranges as if through a temporary buffer.
      MemorySegment.copy(segment, src, segment, dest, size);
    } catch (RuntimeException e) {
      retryVoid(e, dest, size, s -> // MemorySegment.copy copies overlapping ranges as if through a temporary buffer.
      MemorySegment.copy(s, src, s, dest, size));
    }
  }

  @Override
  public void write(int addr, byte[] data, int offset, int size) {
    checkBounds(offset, size, data.length, WasmRuntimeException::new);
    checkBounds(addr, size, sizeInBytes(), WasmRuntimeException::new);
    try {
      MemorySegment.copy(data, offset, segment, BYTE, addr, size);
    } catch (RuntimeException e) {
      retryVoid(e, addr, size, s -> MemorySegment.copy(data, offset, s, BYTE, addr, size));
    }
  }

  @Override
  public void write(int addr, byte[] data) {
    write(addr, data, 0, data.length);
  }

  @Override
  public byte[] readBytes(int addr, int len) {
    checkBounds(addr, len, sizeInBytes(), WasmRuntimeException::new);
    byte[] result = new byte[len];
    try {
      MemorySegment.copy(segment, BYTE, addr, result, 0, len);
    } catch (RuntimeException e) {
      retryVoid(e, addr, len, s -> MemorySegment.copy(s, BYTE, addr, result, 0, len));
    }
    return result;
  }

  // ---- strings --------------------------------------------------------------------------------

  @Override
  public void writeString(int offset, String data, Charset charSet) {
    write(offset, data.getBytes(charSet));
  }

  @Override
  public void writeString(int offset, String data) {
    writeString(offset, data, StandardCharsets.UTF_8);
  }

  @Override
  public String readString(int addr, int len) {
    return readString(addr, len, StandardCharsets.UTF_8);
  }

  @Override
  public String readString(int addr, int len, Charset charSet) {
    return new String(readBytes(addr, len), charSet);
  }

  @Override
  public void writeCString(int offset, String str) {
    writeCString(offset, str, StandardCharsets.UTF_8);
  }

  @Override
  public void writeCString(int offset, String str, Charset charSet) {
    writeString(offset, str + '\0', charSet);
  }

  @Override
  public String readCString(int addr, Charset charSet) {
    int end = addr;
    while (read(end) != 0) {
      end++;
    }
    return new String(readBytes(addr, end - addr), charSet);
  }

  @Override
  public String readCString(int addr) {
    return readCString(addr, StandardCharsets.UTF_8);
  }

  // ---- loads and stores -----------------------------------------------------------------------

  @Override
  public byte read(int addr) {
    try {
      return segment.get(BYTE, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> s.get(BYTE, addr));
    }
  }

  @Override
  public long readU8(int addr) {
    try {
      return segment.get(BYTE, addr) & 0xFFL;
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> s.get(BYTE, addr) & 0xFFL);
    }
  }

  @Override
  public long readI8(int addr) {
    try {
      return segment.get(BYTE, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> s.get(BYTE, addr));
    }
  }

  @Override
  public void writeByte(int addr, byte data) {
    try {
      segment.set(BYTE, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 1, s -> s.set(BYTE, addr, data));
    }
  }

  @Override
  public short readShort(int addr) {
    try {
      return segment.get(SHORT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> s.get(SHORT, addr));
    }
  }

  @Override
  public long readI16(int addr) {
    try {
      return segment.get(SHORT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> s.get(SHORT, addr));
    }
  }

  @Override
  public long readU16(int addr) {
    try {
      return segment.get(SHORT, addr) & 0xFFFFL;
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> s.get(SHORT, addr) & 0xFFFFL);
    }
  }

  @Override
  public void writeShort(int addr, short data) {
    try {
      segment.set(SHORT, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 2, s -> s.set(SHORT, addr, data));
    }
  }

  @Override
  public int readInt(int addr) {
    try {
      return segment.get(INT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr));
    }
  }

  @Override
  public long readI32(int addr) {
    try {
      return segment.get(INT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr));
    }
  }

  @Override
  public long readU32(int addr) {
    try {
      return segment.get(INT, addr) & 0xFFFF_FFFFL;
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr) & 0xFFFF_FFFFL);
    }
  }

  @Override
  public void writeI32(int addr, int data) {
    try {
      segment.set(INT, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 4, s -> s.set(INT, addr, data));
    }
  }

  @Override
  public long readLong(int addr) {
    try {
      return segment.get(LONG, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(LONG, addr));
    }
  }

  @Override
  public long readI64(int addr) {
    try {
      return segment.get(LONG, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(LONG, addr));
    }
  }

  @Override
  public void writeLong(int addr, long data) {
    try {
      segment.set(LONG, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 8, s -> s.set(LONG, addr, data));
    }
  }

  @Override
  public float readFloat(int addr) {
    try {
      return segment.get(FLOAT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(FLOAT, addr));
    }
  }

  @Override
  public long readF32(int addr) {
    // Raw bits, so NaN payloads survive: the same as readI32.
    try {
      return segment.get(INT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr));
    }
  }

  @Override
  public void writeF32(int addr, float data) {
    try {
      segment.set(FLOAT, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 4, s -> s.set(FLOAT, addr, data));
    }
  }

  @Override
  public double readDouble(int addr) {
    try {
      return segment.get(DOUBLE, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(DOUBLE, addr));
    }
  }

  @Override
  public long readF64(int addr) {
    try {
      return segment.get(LONG, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(LONG, addr));
    }
  }

  @Override
  public void writeF64(int addr, double data) {
    try {
      segment.set(DOUBLE, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 8, s -> s.set(DOUBLE, addr, data));
    }
  }

  // ---- threads: waiting (unshared memory only) ------------------------------------------------

  @Override
  @SuppressWarnings("removal")
  public Object lock(int address) {
    throw new UnsupportedOperationException("pooled memories use lock-free atomics");
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, int expected, long timeout) {
    throw waitOnUnshared();
  }

  @Override
  @SuppressWarnings("removal")
  public int waitOn(int address, long expected, long timeout) {
    throw waitOnUnshared();
  }

  @Override
  @SuppressWarnings("removal")
  public int notify(int address, int maxThreads) {
    return 0;
  }

  private static ChicoryException waitOnUnshared() {
    return new ChicoryException("Attempt to wait on a non-shared memory, not supported.");
  }

  @Override
  public int atomicWait(int addr, int expected, long timeout) {
    throw waitOnUnshared();
  }

  @Override
  public int atomicWait(int addr, long expected, long timeout) {
    throw waitOnUnshared();
  }

  @Override
  public int atomicNotify(int addr, int maxThreads) {
    // No thread can wait on an unshared memory.
    return 0;
  }

  @Override
  public void atomicFence() {
    VarHandle.fullFence();
  }

  // ---- atomics: loads and stores --------------------------------------------------------------

  private static void checkAlignment(int addr, int size) {
    if ((addr & (size - 1)) != 0) {
      throw new InvalidException("unaligned atomic");
    }
  }

  @Override
  public byte atomicReadByte(int addr) {
    try {
      return (byte) ATOMIC_BYTE.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> (byte) ATOMIC_BYTE.getVolatile(s, (long) addr));
    }
  }

  @Override
  public short atomicReadShort(int addr) {
    checkAlignment(addr, 2);
    try {
      return (short) ATOMIC_SHORT.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> (short) ATOMIC_SHORT.getVolatile(s, (long) addr));
    }
  }

  @Override
  public int atomicReadInt(int addr) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getVolatile(s, (long) addr));
    }
  }

  @Override
  public long atomicReadLong(int addr) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getVolatile(s, (long) addr));
    }
  }

  @Override
  public void atomicWriteByte(int addr, byte value) {
    try {
      ATOMIC_BYTE.setVolatile(segment, (long) addr, value);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 1, s -> ATOMIC_BYTE.setVolatile(s, (long) addr, value));
    }
  }

  @Override
  public void atomicWriteShort(int addr, short value) {
    checkAlignment(addr, 2);
    try {
      ATOMIC_SHORT.setVolatile(segment, (long) addr, value);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 2, s -> ATOMIC_SHORT.setVolatile(s, (long) addr, value));
    }
  }

  @Override
  public void atomicWriteInt(int addr, int value) {
    checkAlignment(addr, 4);
    try {
      ATOMIC_INT.setVolatile(segment, (long) addr, value);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 4, s -> ATOMIC_INT.setVolatile(s, (long) addr, value));
    }
  }

  @Override
  public void atomicWriteLong(int addr, long value) {
    checkAlignment(addr, 8);
    try {
      ATOMIC_LONG.setVolatile(segment, (long) addr, value);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 8, s -> ATOMIC_LONG.setVolatile(s, (long) addr, value));
    }
  }

  // ---- atomics: read-modify-write -------------------------------------------------------------

  /** The read-modify-write operations, for the narrow (byte, short) emulation. */
  private enum Rmw {
    ADD,
    AND,
    OR,
    XOR,
    XCHG,
    CMPXCHG
  }

  /**
   * A read-modify-write of a byte or short as a compare-and-set loop on the aligned int that holds
   * it (slots are page-aligned and page-sized, so that int is in bounds whenever the value is).
   *
   * @return the previous value, zero-extended
   */
  private int narrowRmw(int addr, int size, Rmw op, int operand, int expected) {
    checkAlignment(addr, size);
    try {
      return narrowRmw(segment, addr, size, op, operand, expected);
    } catch (RuntimeException e) {
      // The first access fails before anything is written, so the retry is safe.
      return retry(e, addr, size, s -> narrowRmw(s, addr, size, op, operand, expected));
    }
  }

  private static int narrowRmw(
      MemorySegment segment, int addr, int size, Rmw op, int operand, int expected) {
    long word = addr & ~3L; // negative stays negative: the segment reports it out of bounds
    int shift = (addr & 3) << 3;
    int valueMask = size == 1 ? 0xFF : 0xFFFF;
    int mask = valueMask << shift;
    while (true) {
      int oldWord = (int) ATOMIC_INT.getVolatile(segment, word);
      int oldValue = (oldWord & mask) >>> shift;
      int newValue =
          switch (op) {
            case ADD -> oldValue + operand;
            case AND -> oldValue & operand;
            case OR -> oldValue | operand;
            case XOR -> oldValue ^ operand;
            case XCHG -> operand;
            case CMPXCHG -> {
              if (oldValue != (expected & valueMask)) {
                yield oldValue;
              }
              yield operand;
            }
          };
      int newWord = (oldWord & ~mask) | ((newValue << shift) & mask);
      if (newWord == oldWord || ATOMIC_INT.compareAndSet(segment, word, oldWord, newWord)) {
        return oldValue;
      }
    }
  }

  @Override
  public byte atomicAddByte(int addr, byte delta) {
    return (byte) narrowRmw(addr, 1, Rmw.ADD, delta, 0);
  }

  @Override
  public byte atomicAndByte(int addr, byte mask) {
    return (byte) narrowRmw(addr, 1, Rmw.AND, mask, 0);
  }

  @Override
  public byte atomicOrByte(int addr, byte mask) {
    return (byte) narrowRmw(addr, 1, Rmw.OR, mask, 0);
  }

  @Override
  public byte atomicXorByte(int addr, byte mask) {
    return (byte) narrowRmw(addr, 1, Rmw.XOR, mask, 0);
  }

  @Override
  public byte atomicXchgByte(int addr, byte value) {
    return (byte) narrowRmw(addr, 1, Rmw.XCHG, value, 0);
  }

  @Override
  public byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
    return (byte) narrowRmw(addr, 1, Rmw.CMPXCHG, replacement, expected);
  }

  @Override
  public short atomicAddShort(int addr, short delta) {
    return (short) narrowRmw(addr, 2, Rmw.ADD, delta, 0);
  }

  @Override
  public short atomicAndShort(int addr, short mask) {
    return (short) narrowRmw(addr, 2, Rmw.AND, mask, 0);
  }

  @Override
  public short atomicOrShort(int addr, short mask) {
    return (short) narrowRmw(addr, 2, Rmw.OR, mask, 0);
  }

  @Override
  public short atomicXorShort(int addr, short mask) {
    return (short) narrowRmw(addr, 2, Rmw.XOR, mask, 0);
  }

  @Override
  public short atomicXchgShort(int addr, short value) {
    return (short) narrowRmw(addr, 2, Rmw.XCHG, value, 0);
  }

  @Override
  public short atomicCmpxchgShort(int addr, short expected, short replacement) {
    return (short) narrowRmw(addr, 2, Rmw.CMPXCHG, replacement, expected);
  }

  @Override
  public int atomicAddInt(int addr, int delta) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndAdd(segment, (long) addr, delta);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndAdd(s, (long) addr, delta));
    }
  }

  @Override
  public int atomicAndInt(int addr, int mask) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndBitwiseAnd(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndBitwiseAnd(s, (long) addr, mask));
    }
  }

  @Override
  public int atomicOrInt(int addr, int mask) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndBitwiseOr(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndBitwiseOr(s, (long) addr, mask));
    }
  }

  @Override
  public int atomicXorInt(int addr, int mask) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndBitwiseXor(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndBitwiseXor(s, (long) addr, mask));
    }
  }

  @Override
  public int atomicXchgInt(int addr, int value) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndSet(segment, (long) addr, value);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndSet(s, (long) addr, value));
    }
  }

  @Override
  public int atomicCmpxchgInt(int addr, int expected, int replacement) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.compareAndExchange(segment, (long) addr, expected, replacement);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.compareAndExchange(s, (long) addr, expected, replacement));
    }
  }

  @Override
  public long atomicAddLong(int addr, long delta) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndAdd(segment, (long) addr, delta);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndAdd(s, (long) addr, delta));
    }
  }

  @Override
  public long atomicAndLong(int addr, long mask) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndBitwiseAnd(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndBitwiseAnd(s, (long) addr, mask));
    }
  }

  @Override
  public long atomicOrLong(int addr, long mask) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndBitwiseOr(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndBitwiseOr(s, (long) addr, mask));
    }
  }

  @Override
  public long atomicXorLong(int addr, long mask) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndBitwiseXor(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndBitwiseXor(s, (long) addr, mask));
    }
  }

  @Override
  public long atomicXchgLong(int addr, long value) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndSet(segment, (long) addr, value);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndSet(s, (long) addr, value));
    }
  }

  @Override
  public long atomicCmpxchgLong(int addr, long expected, long replacement) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.compareAndExchange(segment, (long) addr, expected, replacement);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.compareAndExchange(s, (long) addr, expected, replacement));
    }
  }
}
