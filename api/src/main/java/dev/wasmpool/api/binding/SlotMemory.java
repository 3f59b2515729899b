package dev.wasmpool.api.binding;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The runtime-neutral part of a pooled linear memory: bounds, loads and stores, bulk operations,
 * atomics and growth over a {@link LinearMemory} slot, with the slot view's thread switch and
 * revocation ({@link SlotView}). A binding's memory extends it and adds only what names its
 * runtime's types: the runtime's exceptions ({@link #trap(String)}, {@link #unalignedAtomic()},
 * {@link #waitOnUnshared()}) and data-segment initialisation (with {@link DataInitPlan}). The method
 * names and signatures are those of Chicory's {@code Memory} (and so of Endive's), so a subclass
 * that declares {@code implements Memory} implements most of it by inheritance.
 *
 * <p>Behaviour matches Chicory's {@code ByteArrayMemory} for unshared memories: the same results,
 * and out-of-bounds accesses fail with the binding's {@link #trap(String)} with Chicory's message
 * (for a load that straddles the end of memory, Chicory's paged memories name the first byte past
 * the end with size 1, this memory names the access itself). Atomics are real atomic operations
 * (never a lock); waiting fails, as nothing can wait on an unshared memory. Growth returns {@code
 * -1} beyond the maximum or when the pool cannot hold it.
 *
 * <p>{@link #zero()} right after construction does nothing: the pool hands out a slot that is all
 * zero or holds exactly the module's image, which the initialisation that follows would produce
 * anyway. Any later {@code zero()} clears the memory.
 *
 * <p>Use after the instance closed throws {@link IllegalStateException}, which is not a WebAssembly
 * trap: every byte access (loads, stores, bulk operations, atomics, growth) fails, so a stale
 * handle never reaches the slot's next tenant; {@link #pages()} keeps answering the last size.
 *
 * <p>The accessors are final, and a binding's subclass should be final too: the JIT then inlines
 * each access into the runtime's call site.
 *
 * <p>Thread-safety: accesses may come from any thread (see {@link SlotView}); {@link #grow(int)} and
 * initialisation must not race with other accesses.
 */
public abstract class SlotMemory extends SlotView {

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

  /** The most pages a runtime with {@code int} addresses addresses: Chicory's 32767. */
  public static final int RUNTIME_MAX_PAGES = 32767;

  /** The pool slot; owns the segments. */
  private final LinearMemory linear;

  /** The initial size the runtime asked for, in pages. */
  private final int initialPages;

  /** {@code min(maximum asked for, RUNTIME_MAX_PAGES)}, as Chicory reports it. */
  private final int maximumPages;

  /** The current size in pages; {@code segment.byteSize() >>> 16} unless revoked. */
  private int pages;

  /** No initialisation yet: the slot holds what the pool handed out. */
  private boolean fresh = true;

  /**
   * Creates a memory over a pool slot.
   *
   * @param linear the slot, already sized to {@code initialPages}
   * @param initialPages the initial size the runtime asked for
   * @param maximumPages the maximum the runtime asked for (capped at {@link #RUNTIME_MAX_PAGES})
   * @param shared whether the runtime asked for a shared memory, which pooling rejects
   * @throws IllegalArgumentException if {@code shared}, {@code initialPages} exceeds {@link
   *     #RUNTIME_MAX_PAGES}, the slot's size differs from {@code initialPages}, or the slot is not
   *     8-byte aligned
   */
  protected SlotMemory(LinearMemory linear, int initialPages, int maximumPages, boolean shared) {
    super(linear.localSegment(), linear::segment, "memory", linear.index(), linear.guestRights());
    if (shared) {
      throw new IllegalArgumentException("memory is shared which is not supported in the pooling allocator");
    }
    if (initialPages > RUNTIME_MAX_PAGES) {
      // Byte sizes are ints (pages << 16), so a larger minimum would overflow every bounds check.
      throw new IllegalArgumentException(
          "memory minimum of " + initialPages + " pages exceeds the runtime's limit of " + RUNTIME_MAX_PAGES + " pages");
    }
    this.linear = linear;
    this.initialPages = initialPages;
    this.maximumPages = Math.min(maximumPages, RUNTIME_MAX_PAGES);
    long slotPages = segment.byteSize() >>> PAGE_SHIFT;
    if (slotPages != initialPages || linear.pages() != slotPages) {
      throw new IllegalArgumentException(
          "slot size must equal the initial size of "
              + initialPages
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

  // ---- the runtime's exceptions -----------------------------------------------------------------

  /**
   * The runtime's trap for an access out of bounds while running (Chicory's {@code
   * WasmRuntimeException}).
   *
   * @param message the message, worded as Chicory words it
   * @return the exception to throw
   */
  protected abstract RuntimeException trap(String message);

  /**
   * The runtime's error for a misaligned atomic access (Chicory's {@code InvalidException}).
   *
   * @return the exception to throw
   */
  protected abstract RuntimeException unalignedAtomic();

  /**
   * The runtime's error for waiting on an unshared memory (Chicory's {@code ChicoryException}).
   *
   * @return the exception to throw
   */
  protected abstract RuntimeException waitOnUnshared();

  // ---- slot and initialisation ----------------------------------------------------------------

  /**
   * The pool slot.
   *
   * @return the slot
   */
  protected final LinearMemory linear() {
    return linear;
  }

  /**
   * Marks the memory initialised (a later {@link #zero()} clears it) and tells whether this is the
   * first initialisation, when the slot still holds what the pool handed out.
   *
   * @return {@code true} the first time
   */
  protected final boolean initializing() {
    boolean first = fresh;
    fresh = false;
    return first;
  }

  // ---- size -----------------------------------------------------------------------------------

  /**
   * The current size.
   *
   * @return pages
   */
  public final int pages() {
    return pages;
  }

  /**
   * Grows the memory in place ({@code memory.grow}).
   *
   * @param size the pages to add
   * @return the previous size in pages, or {@code -1} if the memory cannot grow that far
   * @throws IllegalStateException if the instance was closed
   */
  public final int grow(int size) {
    int previous = pages;
    long target = (long) previous + size;
    if (size < 0 || target > maximumPages) {
      return -1;
    }
    // Also when size is 0: a closed memory must fail here rather than answer.
    if (isRevoked()) {
      throw closedFailure(new IllegalStateException("Already closed"));
    }
    if (linear.grow(size) < 0) {
      return -1;
    }
    if (size > 0) {
      MemorySegment grown = linear.localSegment();
      assert grown.byteSize() == target << PAGE_SHIFT : "slot size after grow: " + grown.byteSize();
      replace(grown);
      pages = (int) target;
    }
    return previous;
  }

  /**
   * The initial size the runtime asked for.
   *
   * @return pages
   */
  public final int initialPages() {
    return initialPages;
  }

  /**
   * The size the memory may grow to, as Chicory reports it.
   *
   * @return pages, at most {@link #RUNTIME_MAX_PAGES}
   */
  public final int maximumPages() {
    return maximumPages;
  }

  /**
   * Whether the memory is shared: never, pooling rejects shared memories.
   *
   * @return {@code false}
   */
  public final boolean shared() {
    return false;
  }

  /**
   * The current size.
   *
   * @return bytes
   */
  protected final int sizeInBytes() {
    return pages << PAGE_SHIFT;
  }

  // ---- errors ---------------------------------------------------------------------------------

  /**
   * Checks {@code [addr, addr + size)} against {@code [0, limit)} (overflow-free).
   *
   * @param addr the first byte
   * @param size the number of bytes
   * @param limit the end of the accessible range
   * @param failure makes the exception from the message
   * @throws RuntimeException from {@code failure} when out of bounds
   */
  protected static void checkBounds(
      int addr, int size, long limit, Function<String, ? extends RuntimeException> failure) {
    if (addr < 0 || size < 0 || (long) addr + size > limit) {
      throw failure.apply(DataInitPlan.outOfBoundsMessage(addr, size, limit));
    }
  }

  /** {@link #checkBounds} with the runtime's trap. */
  private void checkAccess(int addr, int size, long limit) {
    if (addr < 0 || size < 0 || (long) addr + size > limit) {
      throw trap(DataInitPlan.outOfBoundsMessage(addr, size, limit));
    }
  }

  /**
   * Turns a failed segment access into what the memory reports: the closed-instance error, an
   * out-of-bounds trap, or the failure unchanged.
   */
  private RuntimeException accessFailure(RuntimeException e, int addr, int size) {
    if (isRevoked()) {
      return closedFailure(e);
    }
    if (e instanceof IndexOutOfBoundsException) {
      return trap(DataInitPlan.outOfBoundsMessage(addr, size, sizeInBytes()));
    }
    return diagnose(e);
  }

  /**
   * The slow path of an access that failed: from another thread than the one that instantiated, or
   * on a view a growth ended while the instance lives, runs the access again on the shared view
   * ({@link SlotView#sharedAfter(RuntimeException)}); any other failure becomes what the memory
   * reports.
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
    if (!(e instanceof WrongThreadException || e instanceof IllegalStateException)) {
      throw accessFailure(e, addr, size);
    }
    return sharedAfter(e);
  }

  // ---- bulk -----------------------------------------------------------------------------------

  /**
   * Clears the memory; right after construction it does nothing (see the class comment).
   */
  public final void zero() {
    if (fresh) {
      // The slot is as the pool handed it out: zero, or the image initialize() keeps. A closed
      // allocation still fails, as every access does.
      if (isRevoked() || !segment.scope().isAlive()) {
        throw closedFailure(new IllegalStateException("Already closed"));
      }
      return;
    }
    fill((byte) 0, 0, sizeInBytes());
  }

  /**
   * Fills {@code [fromIndex, toIndex)} with a byte ({@code memory.fill}).
   *
   * @param value the value
   * @param fromIndex the first byte
   * @param toIndex the end, exclusive
   */
  public final void fill(byte value, int fromIndex, int toIndex) {
    int size = toIndex - fromIndex;
    checkAccess(fromIndex, size, sizeInBytes());
    try {
      segment.asSlice(fromIndex, size).fill(value);
    } catch (RuntimeException e) {
      retryVoid(e, fromIndex, size, s -> s.asSlice(fromIndex, size).fill(value));
    }
  }

  /**
   * Copies {@code size} bytes from {@code src} to {@code dest}; the ranges may overlap ({@code memory.copy}).
   *
   * @param dest the destination address
   * @param src the source address
   * @param size the number of bytes
   */
  public final void copy(int dest, int src, int size) {
    int limit = sizeInBytes();
    checkAccess(dest, size, limit);
    checkAccess(src, size, limit);
    try {
      // MemorySegment.copy copies overlapping ranges as if through a temporary buffer.
      MemorySegment.copy(segment, src, segment, dest, size);
    } catch (RuntimeException e) {
      retryVoid(e, dest, size, s -> // MemorySegment.copy copies overlapping ranges as if through a temporary buffer.
      MemorySegment.copy(s, src, s, dest, size));
    }
  }

  /**
   * Writes bytes.
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   * @param offset the byte offset
   * @param size the number of bytes
   */
  public final void write(int addr, byte[] data, int offset, int size) {
    checkAccess(offset, size, data.length);
    checkAccess(addr, size, sizeInBytes());
    try {
      MemorySegment.copy(data, offset, segment, BYTE, addr, size);
    } catch (RuntimeException e) {
      retryVoid(e, addr, size, s -> MemorySegment.copy(data, offset, s, BYTE, addr, size));
    }
  }

  /**
   * Writes bytes.
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   */
  public final void write(int addr, byte[] data) {
    write(addr, data, 0, data.length);
  }

  /**
   * Reads bytes into a new array.
   *
   * @param addr the byte address
   * @param len the number of bytes
   * @return the value
   */
  public final byte[] readBytes(int addr, int len) {
    checkAccess(addr, len, sizeInBytes());
    byte[] result = new byte[len];
    try {
      MemorySegment.copy(segment, BYTE, addr, result, 0, len);
    } catch (RuntimeException e) {
      retryVoid(e, addr, len, s -> MemorySegment.copy(s, BYTE, addr, result, 0, len));
    }
    return result;
  }

  // ---- strings --------------------------------------------------------------------------------

  /**
   * Writes a string's bytes (UTF-8 unless a charset is given).
   *
   * @param offset the byte offset
   * @param data the value or bytes to write
   * @param charSet the charset
   */
  public final void writeString(int offset, String data, Charset charSet) {
    write(offset, data.getBytes(charSet));
  }

  /**
   * Writes a string's bytes (UTF-8 unless a charset is given).
   *
   * @param offset the byte offset
   * @param data the value or bytes to write
   */
  public final void writeString(int offset, String data) {
    writeString(offset, data, StandardCharsets.UTF_8);
  }

  /**
   * Reads {@code len} bytes as a string (UTF-8 unless a charset is given).
   *
   * @param addr the byte address
   * @param len the number of bytes
   * @return the value
   */
  public final String readString(int addr, int len) {
    return readString(addr, len, StandardCharsets.UTF_8);
  }

  /**
   * Reads {@code len} bytes as a string (UTF-8 unless a charset is given).
   *
   * @param addr the byte address
   * @param len the number of bytes
   * @param charSet the charset
   * @return the value
   */
  public final String readString(int addr, int len, Charset charSet) {
    return new String(readBytes(addr, len), charSet);
  }

  /**
   * Writes a string's bytes followed by a zero byte.
   *
   * @param offset the byte offset
   * @param str the string
   */
  public final void writeCString(int offset, String str) {
    writeCString(offset, str, StandardCharsets.UTF_8);
  }

  /**
   * Writes a string's bytes followed by a zero byte.
   *
   * @param offset the byte offset
   * @param str the string
   * @param charSet the charset
   */
  public final void writeCString(int offset, String str, Charset charSet) {
    writeString(offset, str + '\0', charSet);
  }

  /**
   * Reads a zero-terminated string.
   *
   * @param addr the byte address
   * @param charSet the charset
   * @return the value
   */
  public final String readCString(int addr, Charset charSet) {
    int end = addr;
    while (read(end) != 0) {
      end++;
    }
    return new String(readBytes(addr, end - addr), charSet);
  }

  /**
   * Reads a zero-terminated string.
   *
   * @param addr the byte address
   * @return the value
   */
  public final String readCString(int addr) {
    return readCString(addr, StandardCharsets.UTF_8);
  }

  // ---- loads and stores -----------------------------------------------------------------------

  /**
   * A little-endian load ({@code read}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final byte read(int addr) {
    try {
      return segment.get(BYTE, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> s.get(BYTE, addr));
    }
  }

  /**
   * A little-endian load ({@code readU8}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readU8(int addr) {
    try {
      return segment.get(BYTE, addr) & 0xFFL;
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> s.get(BYTE, addr) & 0xFFL);
    }
  }

  /**
   * A little-endian load ({@code readI8}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readI8(int addr) {
    try {
      return segment.get(BYTE, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> s.get(BYTE, addr));
    }
  }

  /**
   * A little-endian store ({@code writeByte}).
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   */
  public final void writeByte(int addr, byte data) {
    try {
      segment.set(BYTE, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 1, s -> s.set(BYTE, addr, data));
    }
  }

  /**
   * A little-endian load ({@code readShort}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final short readShort(int addr) {
    try {
      return segment.get(SHORT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> s.get(SHORT, addr));
    }
  }

  /**
   * A little-endian load ({@code readI16}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readI16(int addr) {
    try {
      return segment.get(SHORT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> s.get(SHORT, addr));
    }
  }

  /**
   * A little-endian load ({@code readU16}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readU16(int addr) {
    try {
      return segment.get(SHORT, addr) & 0xFFFFL;
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> s.get(SHORT, addr) & 0xFFFFL);
    }
  }

  /**
   * A little-endian store ({@code writeShort}).
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   */
  public final void writeShort(int addr, short data) {
    try {
      segment.set(SHORT, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 2, s -> s.set(SHORT, addr, data));
    }
  }

  /**
   * A little-endian load ({@code readInt}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final int readInt(int addr) {
    try {
      return segment.get(INT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr));
    }
  }

  /**
   * A little-endian load ({@code readI32}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readI32(int addr) {
    try {
      return segment.get(INT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr));
    }
  }

  /**
   * A little-endian load ({@code readU32}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readU32(int addr) {
    try {
      return segment.get(INT, addr) & 0xFFFF_FFFFL;
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr) & 0xFFFF_FFFFL);
    }
  }

  /**
   * A little-endian store ({@code writeI32}).
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   */
  public final void writeI32(int addr, int data) {
    try {
      segment.set(INT, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 4, s -> s.set(INT, addr, data));
    }
  }

  /**
   * A little-endian load ({@code readLong}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readLong(int addr) {
    try {
      return segment.get(LONG, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(LONG, addr));
    }
  }

  /**
   * A little-endian load ({@code readI64}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readI64(int addr) {
    try {
      return segment.get(LONG, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(LONG, addr));
    }
  }

  /**
   * A little-endian store ({@code writeLong}).
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   */
  public final void writeLong(int addr, long data) {
    try {
      segment.set(LONG, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 8, s -> s.set(LONG, addr, data));
    }
  }

  /**
   * A little-endian load ({@code readFloat}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final float readFloat(int addr) {
    try {
      return segment.get(FLOAT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(FLOAT, addr));
    }
  }

  /**
   * A little-endian load ({@code readF32}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readF32(int addr) {
    // Raw bits, so NaN payloads survive: the same as readI32.
    try {
      return segment.get(INT, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> s.get(INT, addr));
    }
  }

  /**
   * A little-endian store ({@code writeF32}).
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   */
  public final void writeF32(int addr, float data) {
    try {
      segment.set(FLOAT, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 4, s -> s.set(FLOAT, addr, data));
    }
  }

  /**
   * A little-endian load ({@code readDouble}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final double readDouble(int addr) {
    try {
      return segment.get(DOUBLE, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(DOUBLE, addr));
    }
  }

  /**
   * A little-endian load ({@code readF64}).
   *
   * @param addr the byte address
   * @return the value
   */
  public final long readF64(int addr) {
    try {
      return segment.get(LONG, addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> s.get(LONG, addr));
    }
  }

  /**
   * A little-endian store ({@code writeF64}).
   *
   * @param addr the byte address
   * @param data the value or bytes to write
   */
  public final void writeF64(int addr, double data) {
    try {
      segment.set(DOUBLE, addr, data);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 8, s -> s.set(DOUBLE, addr, data));
    }
  }

  // ---- threads and atomics ------------------------------------------------------------------

  /**
   * The per-address lock of the runtimes' deprecated locking API: pooled memories have none, their
   * atomics are lock-free.
   *
   * @param address the byte address
   * @return never
   * @throws UnsupportedOperationException always
   */
  public final Object lock(int address) {
    throw new UnsupportedOperationException("pooled memories use lock-free atomics");
  }

  /**
   * The runtimes' deprecated wait: always fails, as no thread can wait on an unshared memory.
   *
   * @param address the byte address
   * @param expected the expected value
   * @param timeout the timeout
   * @return never
   */
  public final int waitOn(int address, int expected, long timeout) {
    throw waitOnUnshared();
  }

  /**
   * The runtimes' deprecated wait: always fails, as no thread can wait on an unshared memory.
   *
   * @param address the byte address
   * @param expected the expected value
   * @param timeout the timeout
   * @return never
   */
  public final int waitOn(int address, long expected, long timeout) {
    throw waitOnUnshared();
  }

  /**
   * The runtimes' deprecated wake-up: none can wait on an unshared memory.
   *
   * @param address the byte address
   * @param maxThreads the most threads to wake
   * @return 0
   */
  public final int notify(int address, int maxThreads) {
    return 0;
  }

  /**
   * Waits on an address: always fails, as no thread can wait on an unshared memory.
   *
   * @param addr the byte address
   * @param expected the expected value
   * @param timeout the timeout in nanoseconds
   * @return the value
   */
  public final int atomicWait(int addr, int expected, long timeout) {
    throw waitOnUnshared();
  }

  /**
   * Waits on an address: always fails, as no thread can wait on an unshared memory.
   *
   * @param addr the byte address
   * @param expected the expected value
   * @param timeout the timeout in nanoseconds
   * @return the value
   */
  public final int atomicWait(int addr, long expected, long timeout) {
    throw waitOnUnshared();
  }

  /**
   * Wakes waiters: none can wait on an unshared memory.
   *
   * @param addr the byte address
   * @param maxThreads the most threads to wake
   * @return 0
   */
  public final int atomicNotify(int addr, int maxThreads) {
    // No thread can wait on an unshared memory.
    return 0;
  }

  /**
   * A full memory fence ({@code atomic.fence}).
   */
  public final void atomicFence() {
    VarHandle.fullFence();
  }

  // ---- atomics: loads and stores --------------------------------------------------------------

  private void checkAlignment(int addr, int size) {
    if ((addr & (size - 1)) != 0) {
      throw unalignedAtomic();
    }
  }

  /**
   * An atomic (sequentially consistent) load of a byte.
   *
   * @param addr the byte address
   * @return the value
   */
  public final byte atomicReadByte(int addr) {
    try {
      return (byte) ATOMIC_BYTE.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 1, s -> (byte) ATOMIC_BYTE.getVolatile(s, (long) addr));
    }
  }

  /**
   * An atomic (sequentially consistent) load of a short.
   *
   * @param addr the byte address
   * @return the value
   */
  public final short atomicReadShort(int addr) {
    checkAlignment(addr, 2);
    try {
      return (short) ATOMIC_SHORT.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 2, s -> (short) ATOMIC_SHORT.getVolatile(s, (long) addr));
    }
  }

  /**
   * An atomic (sequentially consistent) load of a int.
   *
   * @param addr the byte address
   * @return the value
   */
  public final int atomicReadInt(int addr) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getVolatile(s, (long) addr));
    }
  }

  /**
   * An atomic (sequentially consistent) load of a long.
   *
   * @param addr the byte address
   * @return the value
   */
  public final long atomicReadLong(int addr) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getVolatile(segment, (long) addr);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getVolatile(s, (long) addr));
    }
  }

  /**
   * An atomic (sequentially consistent) store of a byte.
   *
   * @param addr the byte address
   * @param value the value
   */
  public final void atomicWriteByte(int addr, byte value) {
    try {
      ATOMIC_BYTE.setVolatile(segment, (long) addr, value);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 1, s -> ATOMIC_BYTE.setVolatile(s, (long) addr, value));
    }
  }

  /**
   * An atomic (sequentially consistent) store of a short.
   *
   * @param addr the byte address
   * @param value the value
   */
  public final void atomicWriteShort(int addr, short value) {
    checkAlignment(addr, 2);
    try {
      ATOMIC_SHORT.setVolatile(segment, (long) addr, value);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 2, s -> ATOMIC_SHORT.setVolatile(s, (long) addr, value));
    }
  }

  /**
   * An atomic (sequentially consistent) store of a int.
   *
   * @param addr the byte address
   * @param value the value
   */
  public final void atomicWriteInt(int addr, int value) {
    checkAlignment(addr, 4);
    try {
      ATOMIC_INT.setVolatile(segment, (long) addr, value);
    } catch (RuntimeException e) {
      retryVoid(e, addr, 4, s -> ATOMIC_INT.setVolatile(s, (long) addr, value));
    }
  }

  /**
   * An atomic (sequentially consistent) store of a long.
   *
   * @param addr the byte address
   * @param value the value
   */
  public final void atomicWriteLong(int addr, long value) {
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

  /**
   * An atomic read-modify-write ({@code add}) of a byte.
   *
   * @param addr the byte address
   * @param delta the operand
   * @return the previous value
   */
  public final byte atomicAddByte(int addr, byte delta) {
    return (byte) narrowRmw(addr, 1, Rmw.ADD, delta, 0);
  }

  /**
   * An atomic read-modify-write ({@code and}) of a byte.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final byte atomicAndByte(int addr, byte mask) {
    return (byte) narrowRmw(addr, 1, Rmw.AND, mask, 0);
  }

  /**
   * An atomic read-modify-write ({@code or}) of a byte.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final byte atomicOrByte(int addr, byte mask) {
    return (byte) narrowRmw(addr, 1, Rmw.OR, mask, 0);
  }

  /**
   * An atomic read-modify-write ({@code xor}) of a byte.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final byte atomicXorByte(int addr, byte mask) {
    return (byte) narrowRmw(addr, 1, Rmw.XOR, mask, 0);
  }

  /**
   * An atomic read-modify-write ({@code xchg}) of a byte.
   *
   * @param addr the byte address
   * @param value the value
   * @return the previous value
   */
  public final byte atomicXchgByte(int addr, byte value) {
    return (byte) narrowRmw(addr, 1, Rmw.XCHG, value, 0);
  }

  /**
   * An atomic compare-and-exchange of a byte.
   *
   * @param addr the byte address
   * @param expected the expected value
   * @param replacement the value stored if the current one is {@code expected}
   * @return the previous value
   */
  public final byte atomicCmpxchgByte(int addr, byte expected, byte replacement) {
    return (byte) narrowRmw(addr, 1, Rmw.CMPXCHG, replacement, expected);
  }

  /**
   * An atomic read-modify-write ({@code add}) of a short.
   *
   * @param addr the byte address
   * @param delta the operand
   * @return the previous value
   */
  public final short atomicAddShort(int addr, short delta) {
    return (short) narrowRmw(addr, 2, Rmw.ADD, delta, 0);
  }

  /**
   * An atomic read-modify-write ({@code and}) of a short.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final short atomicAndShort(int addr, short mask) {
    return (short) narrowRmw(addr, 2, Rmw.AND, mask, 0);
  }

  /**
   * An atomic read-modify-write ({@code or}) of a short.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final short atomicOrShort(int addr, short mask) {
    return (short) narrowRmw(addr, 2, Rmw.OR, mask, 0);
  }

  /**
   * An atomic read-modify-write ({@code xor}) of a short.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final short atomicXorShort(int addr, short mask) {
    return (short) narrowRmw(addr, 2, Rmw.XOR, mask, 0);
  }

  /**
   * An atomic read-modify-write ({@code xchg}) of a short.
   *
   * @param addr the byte address
   * @param value the value
   * @return the previous value
   */
  public final short atomicXchgShort(int addr, short value) {
    return (short) narrowRmw(addr, 2, Rmw.XCHG, value, 0);
  }

  /**
   * An atomic compare-and-exchange of a short.
   *
   * @param addr the byte address
   * @param expected the expected value
   * @param replacement the value stored if the current one is {@code expected}
   * @return the previous value
   */
  public final short atomicCmpxchgShort(int addr, short expected, short replacement) {
    return (short) narrowRmw(addr, 2, Rmw.CMPXCHG, replacement, expected);
  }

  /**
   * An atomic read-modify-write ({@code add}) of a int.
   *
   * @param addr the byte address
   * @param delta the operand
   * @return the previous value
   */
  public final int atomicAddInt(int addr, int delta) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndAdd(segment, (long) addr, delta);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndAdd(s, (long) addr, delta));
    }
  }

  /**
   * An atomic read-modify-write ({@code and}) of a int.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final int atomicAndInt(int addr, int mask) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndBitwiseAnd(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndBitwiseAnd(s, (long) addr, mask));
    }
  }

  /**
   * An atomic read-modify-write ({@code or}) of a int.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final int atomicOrInt(int addr, int mask) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndBitwiseOr(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndBitwiseOr(s, (long) addr, mask));
    }
  }

  /**
   * An atomic read-modify-write ({@code xor}) of a int.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final int atomicXorInt(int addr, int mask) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndBitwiseXor(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndBitwiseXor(s, (long) addr, mask));
    }
  }

  /**
   * An atomic read-modify-write ({@code xchg}) of a int.
   *
   * @param addr the byte address
   * @param value the value
   * @return the previous value
   */
  public final int atomicXchgInt(int addr, int value) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.getAndSet(segment, (long) addr, value);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.getAndSet(s, (long) addr, value));
    }
  }

  /**
   * An atomic compare-and-exchange of a int.
   *
   * @param addr the byte address
   * @param expected the expected value
   * @param replacement the value stored if the current one is {@code expected}
   * @return the previous value
   */
  public final int atomicCmpxchgInt(int addr, int expected, int replacement) {
    checkAlignment(addr, 4);
    try {
      return (int) ATOMIC_INT.compareAndExchange(segment, (long) addr, expected, replacement);
    } catch (RuntimeException e) {
      return retry(e, addr, 4, s -> (int) ATOMIC_INT.compareAndExchange(s, (long) addr, expected, replacement));
    }
  }

  /**
   * An atomic read-modify-write ({@code add}) of a long.
   *
   * @param addr the byte address
   * @param delta the operand
   * @return the previous value
   */
  public final long atomicAddLong(int addr, long delta) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndAdd(segment, (long) addr, delta);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndAdd(s, (long) addr, delta));
    }
  }

  /**
   * An atomic read-modify-write ({@code and}) of a long.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final long atomicAndLong(int addr, long mask) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndBitwiseAnd(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndBitwiseAnd(s, (long) addr, mask));
    }
  }

  /**
   * An atomic read-modify-write ({@code or}) of a long.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final long atomicOrLong(int addr, long mask) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndBitwiseOr(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndBitwiseOr(s, (long) addr, mask));
    }
  }

  /**
   * An atomic read-modify-write ({@code xor}) of a long.
   *
   * @param addr the byte address
   * @param mask the operand
   * @return the previous value
   */
  public final long atomicXorLong(int addr, long mask) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndBitwiseXor(segment, (long) addr, mask);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndBitwiseXor(s, (long) addr, mask));
    }
  }

  /**
   * An atomic read-modify-write ({@code xchg}) of a long.
   *
   * @param addr the byte address
   * @param value the value
   * @return the previous value
   */
  public final long atomicXchgLong(int addr, long value) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.getAndSet(segment, (long) addr, value);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.getAndSet(s, (long) addr, value));
    }
  }

  /**
   * An atomic compare-and-exchange of a long.
   *
   * @param addr the byte address
   * @param expected the expected value
   * @param replacement the value stored if the current one is {@code expected}
   * @return the previous value
   */
  public final long atomicCmpxchgLong(int addr, long expected, long replacement) {
    checkAlignment(addr, 8);
    try {
      return (long) ATOMIC_LONG.compareAndExchange(segment, (long) addr, expected, replacement);
    } catch (RuntimeException e) {
      return retry(e, addr, 8, s -> (long) ATOMIC_LONG.compareAndExchange(s, (long) addr, expected, replacement));
    }
  }
}
