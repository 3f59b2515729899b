package dev.wasmpool.chicory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.WasmRuntimeException;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PooledMemoryTest {

  private static final int PAGE = Memory.PAGE_SIZE;

  private static PooledMemory pooled(ArenaLinearMemory slot, MemoryLimits limits) {
    return new PooledMemory(slot, limits, DataSegmentCache.NONE);
  }

  // ---- contract coverage ----------------------------------------------------------------------

  /** No Memory method falls back to the interface's default (which would lock or copy). */
  @Test
  void everyMemoryMethod_isImplementedByPooledMemory() {
    List<String> inherited = new ArrayList<>();
    for (Method m : Memory.class.getMethods()) {
      if (Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      try {
        Method impl = PooledMemory.class.getMethod(m.getName(), m.getParameterTypes());
        if (impl.getDeclaringClass().isInterface()) {
          inherited.add(m.toString());
        }
      } catch (NoSuchMethodException e) {
        inherited.add(m.toString());
      }
    }
    assertEquals(List.of(), inherited, "Memory methods PooledMemory leaves to the interface");
  }

  // ---- differential against ByteArrayMemory -------------------------------------------------

  /**
   * Against {@link ByteArrayMemory}, the memory Chicory's own testsuite uses, without atomics: on
   * JDK 25 its atomics fail (its byte-array view var handles reject volatile access, which it
   * reports as out of bounds).
   */
  @Test
  void randomOperations_matchByteArrayMemory() {
    randomOperations(ByteArrayMemory::new, false);
  }

  /** Against {@link ByteBufferMemory}, Chicory's default memory, atomics included. */
  @Test
  void randomOperations_matchByteBufferMemory() {
    randomOperations(ByteBufferMemory::new, true);
  }

  private static void randomOperations(Function<MemoryLimits, Memory> reference, boolean atomics) {
    long seed = Long.getLong("wasmpool.seed", System.nanoTime());
    try {
      for (int round = 0; round < 20; round++) {
        runRandomOperations(new SplittableRandom(seed + round), reference, atomics);
      }
    } catch (AssertionError e) {
      throw new AssertionError(
          "reproduce with -Dwasmpool.seed=" + seed + " -Dtest=PooledMemoryTest: " + e.getMessage(), e);
    }
  }

  private static void runRandomOperations(
      SplittableRandom random, Function<MemoryLimits, Memory> reference, boolean atomics) {
    MemoryLimits limits = new MemoryLimits(1 + random.nextInt(2), 4);
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(limits.initialPages(), 4)) {
      Memory expected = reference.apply(limits);
      Memory actual = pooled(slot, limits);
      for (int step = 0; step < 3000; step++) {
        int op = random.nextInt(OPERATIONS);
        if (!atomics && isAtomic(op)) {
          continue;
        }
        int anyAddr = address(random, expected.pages() * PAGE);
        // Atomics get aligned addresses: the machines check alignment before calling the memory.
        int addr = isAtomic(op) ? anyAddr & ~7 : anyAddr;
        long value = random.nextLong();
        int length = random.nextInt(4) == 0 ? random.nextInt(-4, 2 * PAGE) : random.nextInt(-2, 40);
        int other = address(random, expected.pages() * PAGE);
        String want = outcome(expected, m -> apply(m, op, addr, value, length, other));
        String got = outcome(actual, m -> apply(m, op, addr, value, length, other));
        assertEquals(
            want, got, "step " + step + " op " + op + " addr " + addr + " len " + length + " other " + other);
      }
      assertEquals(expected.pages(), actual.pages());
      int size = expected.pages() * PAGE;
      assertArrayEquals(expected.readBytes(0, size), actual.readBytes(0, size), "final contents");
    }
  }

  private static final int OPERATIONS = 46;

  /** Addresses around the interesting places: start, page ends, the memory's end, negatives. */
  private static int address(SplittableRandom random, int size) {
    return switch (random.nextInt(6)) {
      case 0 -> random.nextInt(64);
      case 1 -> size - 16 + random.nextInt(32);
      case 2 -> PAGE - 8 + random.nextInt(16);
      case 3 -> -random.nextInt(1, 16);
      case 4 -> random.nextInt() ;
      default -> random.nextInt(Math.max(1, size));
    } & (random.nextInt(8) == 0 ? ~0 : ~7); // mostly 8-aligned so atomics apply
  }

  private static Object apply(Memory m, int op, int addr, long value, int length, int other) {
    return switch (op) {
      case 0 -> m.read(addr);
      case 1 -> m.readU8(addr);
      case 2 -> m.readI8(addr);
      case 3 -> m.readShort(addr);
      case 4 -> m.readI16(addr);
      case 5 -> m.readU16(addr);
      case 6 -> m.readInt(addr);
      case 7 -> m.readI32(addr);
      case 8 -> m.readU32(addr);
      case 9 -> m.readLong(addr);
      case 10 -> m.readI64(addr);
      case 11 -> Float.floatToRawIntBits(m.readFloat(addr));
      case 12 -> m.readF32(addr);
      case 13 -> Double.doubleToRawLongBits(m.readDouble(addr));
      case 14 -> m.readF64(addr);
      case 15 -> run(() -> m.writeByte(addr, (byte) value));
      case 16 -> run(() -> m.writeShort(addr, (short) value));
      case 17 -> run(() -> m.writeI32(addr, (int) value));
      case 18 -> run(() -> m.writeLong(addr, value));
      case 19 -> run(() -> m.writeF32(addr, Float.intBitsToFloat((int) value)));
      case 20 -> run(() -> m.writeF64(addr, Double.longBitsToDouble(value)));
      case 21 -> run(() -> m.write(addr, bytes(value, 64), (int) (value & 31) - 2, length));
      case 22 -> hex(m.readBytes(addr, length));
      case 23 -> run(() -> m.fill((byte) value, addr, addr + length));
      case 24 -> run(() -> m.copy(addr, other, length));
      case 25 -> m.grow((int) (value & 3) - 1);
      case 26 -> m.pages();
      case 27 -> m.atomicReadByte(addr);
      case 28 -> m.atomicReadShort(addr);
      case 29 -> m.atomicReadInt(addr);
      case 30 -> m.atomicReadLong(addr);
      case 31 -> run(() -> m.atomicWriteInt(addr, (int) value));
      case 32 -> run(() -> m.atomicWriteLong(addr, value));
      case 33 -> m.atomicAddByte(addr, (byte) value) + "," + m.atomicXorShort(addr, (short) value);
      case 34 -> m.atomicAddInt(addr, (int) value) + "," + m.atomicAndInt(addr, (int) (value >> 8));
      case 35 -> m.atomicOrLong(addr, value) + "," + m.atomicXchgLong(addr, value >> 3);
      case 36 -> m.atomicCmpxchgInt(addr, m.readInt(Math.max(0, addr)), (int) value);
      case 37 -> m.atomicCmpxchgShort(addr, (short) 0, (short) value) + "," + m.atomicOrByte(addr, (byte) 1);
      case 38 -> m.atomicCmpxchgByte(addr, (byte) value, (byte) 7) + "," + m.atomicXchgByte(addr, (byte) 9);
      case 39 -> m.atomicAddLong(addr, value) + "," + m.atomicAndLong(addr, value >> 1);
      case 40 -> m.atomicAndShort(addr, (short) value) + "," + m.atomicXchgShort(addr, (short) 3);
      case 41 -> m.atomicCmpxchgLong(addr, 0, value) + "," + m.atomicXorLong(addr, value);
      case 42 -> run(() -> m.writeString(addr, "héllo wörld"));
      case 43 -> m.readString(addr, length);
      case 44 -> run(() -> m.writeCString(addr, "abc"));
      case 45 -> m.atomicAddShort(addr, (short) value) + "," + m.atomicAndByte(addr, (byte) value)
          + "," + m.atomicOrShort(addr, (short) value) + "," + m.atomicXorByte(addr, (byte) value)
          + "," + m.atomicOrInt(addr, (int) value) + "," + m.atomicXorInt(addr, (int) value)
          + "," + m.atomicXchgInt(addr, (int) value) + "," + run(() -> m.atomicWriteShort(addr, (short) value))
          + "," + run(() -> m.atomicWriteByte(addr, (byte) value));
      default -> throw new IllegalArgumentException("op " + op);
    };
  }

  private static boolean isAtomic(int op) {
    return (op >= 27 && op <= 41) || op == 45;
  }

  private static String run(Runnable action) {
    action.run();
    return "done";
  }

  private static byte[] bytes(long seed, int length) {
    byte[] b = new byte[length];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  private static String hex(byte[] bytes) {
    return java.util.HexFormat.of().formatHex(bytes);
  }

  /** The value, or the exception class and the category of its message. */
  private static String outcome(Memory memory, Function<Memory, Object> action) {
    try {
      return "value " + action.apply(memory);
    } catch (RuntimeException e) {
      String message = String.valueOf(e.getMessage());
      String category =
          message.startsWith("out of bounds memory access") ? "out of bounds memory access" : message;
      return e.getClass().getName() + ": " + category;
    }
  }

  @Test
  void accessWithinAPage_reportsTheSameMessageAsByteArrayMemory() {
    MemoryLimits limits = new MemoryLimits(1, 1);
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory expected = new ByteArrayMemory(limits);
      Memory actual = pooled(slot, limits);
      for (int addr : new int[] {PAGE, PAGE + 4, -4, Integer.MIN_VALUE}) {
        WasmRuntimeException want = assertThrows(WasmRuntimeException.class, () -> expected.readInt(addr));
        WasmRuntimeException got = assertThrows(WasmRuntimeException.class, () -> actual.readInt(addr));
        assertEquals(want.getMessage(), got.getMessage());
      }
      WasmRuntimeException want = assertThrows(WasmRuntimeException.class, () -> expected.fill((byte) 1, 10, PAGE + 1));
      WasmRuntimeException got = assertThrows(WasmRuntimeException.class, () -> actual.fill((byte) 1, 10, PAGE + 1));
      assertEquals(want.getMessage(), got.getMessage());
      assertTrue(got.getMessage().contains("out of bounds memory access"), got.getMessage());
    }
  }

  // ---- loads, stores, bulk ------------------------------------------------------------------

  @Test
  void loadsAndStores_areLittleEndianAndUnaligned() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory m = pooled(slot, new MemoryLimits(1, 1));
      m.writeLong(3, 0x0807060504030201L);
      assertEquals(0x01, m.readU8(3));
      assertEquals(0x0201, m.readU16(3));
      assertEquals(0x05040302L, m.readU32(4));
      assertEquals(0x0807060504030201L, m.readI64(3));
      m.writeI32(100, -2);
      assertEquals(-2, m.readI32(100));
      assertEquals(0xFFFF_FFFEL, m.readU32(100));
      assertEquals(-2, m.readI16(100));
      assertEquals(0xFFFE, m.readU16(100));
      assertEquals(-2, m.readI8(100));
      assertEquals(0xFE, m.readU8(100));
      m.writeF64(201, Double.longBitsToDouble(0x7ff4000000000001L));
      assertEquals(0x7ff4000000000001L, m.readF64(201), "NaN payload kept");
      m.writeF32(301, Float.intBitsToFloat(0x7fa00001));
      assertEquals(0x7fa00001L, m.readF32(301), "NaN payload kept");
      assertEquals(PAGE - 1, slot.segment().byteSize() - 1);
    }
  }

  @Test
  void copy_handlesOverlapInBothDirections() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory m = pooled(slot, new MemoryLimits(1, 1));
      byte[] data = "0123456789".getBytes(StandardCharsets.US_ASCII);
      m.write(10, data);
      m.copy(12, 10, 10);
      assertEquals("0101234567", m.readString(10, 10));
      m.write(10, data);
      m.copy(10, 12, 8);
      assertEquals("2345678989", m.readString(10, 10));
    }
  }

  @Test
  void cString_roundTrips_andAMissingTerminatorIsOutOfBounds() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory m = pooled(slot, new MemoryLimits(1, 1));
      m.writeCString(40, "grüße");
      assertEquals("grüße", m.readCString(40));
      m.fill((byte) 'x', PAGE - 4, PAGE);
      ChicoryException e = assertThrows(ChicoryException.class, () -> m.readCString(PAGE - 4));
      assertTrue(e.getMessage().contains("out of bounds memory access"), e.getMessage());
    }
  }

  // ---- grow ---------------------------------------------------------------------------------

  @Test
  void grow_stopsAtTheSlotMaximum_whileReportingTheDeclaredMaximum() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 2)) {
      Memory m = pooled(slot, new MemoryLimits(1, 4));
      assertEquals(4, m.maximumPages(), "the declared maximum, as Chicory reports it");
      assertEquals(1, m.grow(1));
      m.writeI32(PAGE + 8, 42);
      assertEquals(42, m.readInt(PAGE + 8), "the new page is usable");
      assertEquals(-1, m.grow(1), "the pool's maximum is reached");
      assertEquals(2, m.pages());
      assertEquals(-1, m.grow(-1));
      assertEquals(-1, m.grow(Integer.MAX_VALUE));
      assertEquals(2, m.grow(0));
    }
  }

  @Test
  void grow_beyondTheDeclaredMaximum_fails_andNewPagesReadZero() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(0, 100)) {
      Memory m = pooled(slot, new MemoryLimits(0, 3));
      assertThrows(WasmRuntimeException.class, () -> m.read(0));
      assertEquals(0, m.grow(3));
      assertEquals(-1, m.grow(1));
      assertArrayEquals(new byte[3 * PAGE], m.readBytes(0, 3 * PAGE));
    }
  }

  @Test
  void unboundedMemory_reportsTheRuntimeMaximum() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 8)) {
      Memory m = pooled(slot, new MemoryLimits(1));
      assertEquals(Memory.RUNTIME_MAX_PAGES, m.maximumPages());
    }
  }

  // ---- atomics ------------------------------------------------------------------------------

  @Test
  void atomics_narrowOperationsLeaveNeighboursAlone() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory m = pooled(slot, new MemoryLimits(1, 1));
      m.writeLong(0, 0x1122334455667788L);
      assertEquals((byte) 0x66, m.atomicAddByte(2, (byte) 0x10));
      assertEquals(0x1122334455767788L, m.readLong(0));
      assertEquals((short) 0x3344, m.atomicXchgShort(4, (short) 0xABCD));
      assertEquals(0x1122ABCD55767788L, m.readLong(0));
      assertEquals((short) 0x1122, m.atomicCmpxchgShort(6, (short) 0x1122, (short) -1));
      assertEquals(0xFFFFABCD55767788L, m.readLong(0));
      assertEquals((byte) 0x88, m.atomicCmpxchgByte(0, (byte) 0x00, (byte) 0x01), "no swap");
      assertEquals(0xFFFFABCD55767788L, m.readLong(0));
      assertEquals(0x55767788, m.atomicAndInt(0, 0x0000FFFF));
      assertEquals(0xFFFFABCD00007788L, m.readLong(0));
      assertEquals(0xFFFFABCD00007788L, m.atomicCmpxchgLong(0, 0xFFFFABCD00007788L, 5));
      assertEquals(5, m.atomicReadLong(0));
    }
  }

  @Test
  void atomics_unalignedAccessTraps() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory m = pooled(slot, new MemoryLimits(1, 1));
      List<Consumer<Memory>> accesses =
          List.of(
              x -> x.atomicReadShort(1),
              x -> x.atomicReadInt(2),
              x -> x.atomicReadLong(4),
              x -> x.atomicWriteInt(1, 1),
              x -> x.atomicAddShort(3, (short) 1),
              x -> x.atomicCmpxchgInt(6, 0, 1),
              x -> x.atomicXchgLong(12, 1));
      for (Consumer<Memory> access : accesses) {
        InvalidException e = assertThrows(InvalidException.class, () -> access.accept(m));
        assertEquals("unaligned atomic", e.getMessage());
      }
    }
  }

  @Test
  void atomics_areAtomicAcrossThreads() throws InterruptedException {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory m = pooled(slot, new MemoryLimits(1, 1));
      int perThread = 200_000;
      CountDownLatch go = new CountDownLatch(1);
      Runnable work =
          () -> {
            try {
              go.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
            for (int i = 0; i < perThread; i++) {
              m.atomicAddInt(0, 1);
              m.atomicAddLong(8, 1);
              m.atomicAddShort(16, (short) 1); // shares its int with the byte below
              m.atomicAddByte(18, (byte) 1);
            }
          };
      Thread a = new Thread(work);
      Thread b = new Thread(work);
      a.start();
      b.start();
      go.countDown();
      a.join();
      b.join();
      assertEquals(2 * perThread, m.atomicReadInt(0));
      assertEquals(2L * perThread, m.atomicReadLong(8));
      assertEquals((short) (2 * perThread), m.atomicReadShort(16));
      assertEquals((byte) (2 * perThread), m.atomicReadByte(18));
    }
  }

  @Test
  void waitingOnAnUnsharedMemory_failsAsInChicory_andNotifyWakesNobody() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Memory m = pooled(slot, new MemoryLimits(1, 1));
      Memory chicory = new ByteArrayMemory(new MemoryLimits(1, 1));
      ChicoryException want = assertThrows(ChicoryException.class, () -> chicory.atomicWait(0, 0, 0L));
      ChicoryException got = assertThrows(ChicoryException.class, () -> m.atomicWait(0, 0, 0L));
      assertEquals(want.getMessage(), got.getMessage());
      assertThrows(ChicoryException.class, () -> m.atomicWait(0, 0L, 0L));
      assertEquals(0, m.atomicNotify(0, 1));
      assertFalse(m.shared());
    }
  }

  @Test
  void sharedMemory_isRejected() {
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 2)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> pooled(slot, new MemoryLimits(1, 2, true)));
      assertEquals("memory is shared which is not supported in the pooling allocator", e.getMessage());
    }
  }

  // ---- use after close ------------------------------------------------------------------------

  @Test
  void everyAccessAfterClose_throwsIllegalStateException_notATrap() {
    ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 2);
    Memory m = pooled(slot, new MemoryLimits(1, 2));
    m.writeI32(0, 7);
    slot.close();
    List<Consumer<Memory>> accesses =
        List.of(
            x -> x.read(0),
            x -> x.readInt(0),
            x -> x.readU8(0),
            x -> x.readI64(0),
            x -> x.readDouble(0),
            x -> x.writeI32(0, 1),
            x -> x.writeByte(0, (byte) 1),
            x -> x.readBytes(0, 4),
            x -> x.write(0, new byte[4]),
            x -> x.fill((byte) 1, 0, 4),
            x -> x.copy(0, 4, 4),
            x -> x.zero(),
            x -> x.grow(1),
            x -> x.grow(0),
            x -> x.atomicReadInt(0),
            x -> x.atomicAddInt(0, 1),
            x -> x.atomicAddByte(1, (byte) 1),
            x -> x.readString(0, 3));
    for (Consumer<Memory> access : accesses) {
      RuntimeException e = assertThrows(RuntimeException.class, () -> access.accept(m));
      assertInstanceOf(IllegalStateException.class, e, e.toString());
      assertFalse(e instanceof ChicoryException);
    }
  }

  // ---- initialisation -----------------------------------------------------------------------

  private static final byte[] HELLO = "hello".getBytes(StandardCharsets.US_ASCII);

  private static Instance instantiate(WasmModule module, Function<MemoryLimits, Memory> memories) {
    return Instance.builder(module)
        .withMachineFactory(InterpreterMachine::new)
        .withMemoryFactory(memories)
        .build();
  }

  @Test
  void initialize_withTheImageInPlace_writesNothing() {
    WasmModule module = new WasmBuilder().memory(1, 1).activeData(16, HELLO).exportMemory("m", 0).parse();
    DataSegmentCache data = DataSegmentCache.of(module);
    // A stand-in image that differs from the segment: if it survives, nothing was written.
    byte[] image = new byte[32];
    System.arraycopy("HELLO".getBytes(StandardCharsets.US_ASCII), 0, image, 16, 5);
    try (ArenaLinearMemory slot = new ArenaLinearMemory(0, 1, 1, 1, image)) {
      Instance instance = instantiate(module, limits -> new PooledMemory(slot, limits, data));
      assertEquals("HELLO", instance.memory().readString(16, 5));
    }
  }

  @Test
  void initialize_withoutAnImage_writesTheSegments() {
    WasmModule module = new WasmBuilder().memory(1, 1).activeData(16, HELLO).parse();
    DataSegmentCache data = DataSegmentCache.of(module);
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Instance instance = instantiate(module, limits -> new PooledMemory(slot, limits, data));
      assertEquals("hello", instance.memory().readString(16, 5));
    }
  }

  @Test
  void initialize_withAnOffsetFromAnImportedGlobal_writesEvenWithAnImage() {
    WasmBuilder b = new WasmBuilder();
    b.importGlobal("env", "base", WasmBuilder.I32, false);
    WasmModule module = b.memory(1, 1).activeData(0, new Code().globalGet(0), HELLO).parse();
    DataSegmentCache data = DataSegmentCache.of(module);
    assertEquals(DataSegmentCache.NOT_CONSTANT, data.constantOffset(0));
    byte[] image = "XXXXXXXXXXXXXXXXXXXXXX".getBytes(StandardCharsets.US_ASCII);
    try (ArenaLinearMemory slot = new ArenaLinearMemory(0, 1, 1, 1, image)) {
      Instance instance =
          Instance.builder(module)
              .withMachineFactory(InterpreterMachine::new)
              .withImportValues(
                  com.dylibso.chicory.runtime.ImportValues.builder()
                      .addGlobal(
                          new com.dylibso.chicory.runtime.ImportGlobal(
                              "env",
                              "base",
                              new com.dylibso.chicory.runtime.GlobalInstance(
                                  com.dylibso.chicory.wasm.types.Value.i32(4))))
                      .build())
              .withMemoryFactory(limits -> new PooledMemory(slot, limits, data))
              .build();
      assertEquals("XXXXhelloX", instance.memory().readString(0, 10));
    }
  }

  @Test
  void initialize_segmentOutOfBounds_isUninstantiable() {
    WasmModule module = new WasmBuilder().memory(1, 1).activeData(PAGE - 2, HELLO).parse();
    DataSegmentCache data = DataSegmentCache.of(module);
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      UninstantiableException e =
          assertThrows(
              UninstantiableException.class,
              () -> instantiate(module, limits -> new PooledMemory(slot, limits, data)));
      assertTrue(e.getMessage().contains("out of bounds memory access"), e.getMessage());
    }
  }

  @Test
  void zero_isANoOpOnAFreshSlot_andClearsAfterInitialisation() {
    byte[] image = {1, 2, 3, 4};
    try (ArenaLinearMemory slot = new ArenaLinearMemory(0, 1, 1, 1, image)) {
      PooledMemory m = new PooledMemory(slot, new MemoryLimits(1, 1), DataSegmentCache.NONE);
      m.zero();
      assertEquals(0x04030201, m.readInt(0), "fresh: the slot's contents stay");
      m.initialize(null, null, 0);
      m.zero();
      assertEquals(0, m.readInt(0), "after initialisation zero() clears");
    }
  }

  @Test
  void passiveSegments_initAndDrop() {
    WasmModule module = new WasmBuilder().memory(1, 1).passiveData(HELLO).parse();
    DataSegmentCache data = DataSegmentCache.of(module);
    try (ArenaLinearMemory slot = ArenaLinearMemory.zeroed(1, 1)) {
      Instance instance = instantiate(module, limits -> new PooledMemory(slot, limits, data));
      Memory m = instance.memory();
      m.initPassiveSegment(0, 100, 1, 3);
      assertEquals("ell", m.readString(100, 3));
      WasmRuntimeException e = assertThrows(WasmRuntimeException.class, () -> m.initPassiveSegment(0, 0, 3, 3));
      assertTrue(e.getMessage().contains("out of bounds memory access"));
      m.drop(0);
      m.initPassiveSegment(0, 0, 0, 0);
      assertThrows(WasmRuntimeException.class, () -> m.initPassiveSegment(0, 0, 0, 1));
    }
  }
}
