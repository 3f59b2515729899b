package dev.wasmpool.api.testing;

import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.BackendException;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for engine tests: native memory from arenas, every operation recorded and counted,
 * failures injectable, protection keys faked.
 *
 * <p>It follows the SPI's semantics: ranges start inaccessible and zero; a reset writes the
 * baseline (image bytes where an image is mapped, zero elsewhere); a failed {@code mapImage}
 * leaves its range inaccessible and zero. With {@code virtualReservation} a reservation's segment
 * covers it whole and never changes; without it the segment covers only what was made accessible
 * and is replaced (old segments stay allocated) when that grows, like the portable backend.
 *
 * <p>Inaccessible bytes cannot trap here; instead {@link FakeReservation#isAccessible} lets tests
 * check what the pool made accessible.
 */
public final class FakeBackend implements Backend {

  private final long pageSize;
  private final Capabilities capabilities;
  private final FakeKeys keys;
  private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
  private final Set<FakeReservation> openReservations = ConcurrentHashMap.newKeySet();
  private final Set<FakeImage> openImages = ConcurrentHashMap.newKeySet();
  private volatile boolean recording = true;
  private volatile boolean closed;

  private FakeBackend(long pageSize, Capabilities capabilities) {
    this.pageSize = pageSize;
    this.capabilities = capabilities;
    this.keys = new FakeKeys(capabilities.protectionKeys());
  }

  /**
   * A Linux-like fake: 4 KiB pages, virtual reservations, copy-on-write images, lazy resets, no
   * protection keys.
   *
   * @return the backend
   */
  public static FakeBackend linuxLike() {
    return new FakeBackend(4096, new Capabilities(true, true, true, 0));
  }

  /**
   * A Linux-like fake with protection keys.
   *
   * @param keys the number of keys the fake hands out
   * @return the backend
   */
  public static FakeBackend withProtectionKeys(int keys) {
    return new FakeBackend(4096, new Capabilities(true, true, true, keys));
  }

  /**
   * A portable-like fake: 64 KiB pages, reservations per slot whose segment grows, copied images,
   * resets by writing.
   *
   * @return the backend
   */
  public static FakeBackend portableLike() {
    return new FakeBackend(65536, new Capabilities(false, false, false, 0));
  }

  // ---- recording -------------------------------------------------------------------------------

  void record(String operation, String arguments) {
    counts.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
    if (recording) {
      calls.add(operation + "(" + arguments + ")");
    }
    AtomicInteger pending = failures.get(operation);
    if (pending != null && pending.getAndUpdate(n -> n > 0 ? n - 1 : n) > 0) {
      throw new BackendException(operation, arguments, 12, "ENOMEM", "injected failure");
    }
  }

  /**
   * Makes the next {@code times} calls of an operation fail with {@code ENOMEM} before they
   * change anything (except {@code mapImage} and {@code removeImage}, which then leave their range
   * inaccessible, zero and imageless, as the SPI says).
   *
   * @param operation for example {@code "reset"}
   * @param times how many calls fail
   */
  public void failNext(String operation, int times) {
    failures.computeIfAbsent(operation, k -> new AtomicInteger()).addAndGet(times);
  }

  /** Stops keeping the call list (counts go on); for long concurrency tests. */
  public void stopRecordingCalls() {
    recording = false;
  }

  /**
   * The calls made so far, for example {@code "makeAccessible(0x0, 0x10000)"}.
   *
   * @return a copy of the list
   */
  public List<String> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  /** Forgets the calls and counts recorded so far. */
  public void clearCalls() {
    calls.clear();
    counts.clear();
  }

  /**
   * How often an operation was called (including failed calls).
   *
   * @param operation for example {@code "mapImage"}
   * @return the count
   */
  public int count(String operation) {
    AtomicInteger c = counts.get(operation);
    return c == null ? 0 : c.get();
  }

  /**
   * Calls of the operations that change memory (everything but {@code segment}).
   *
   * @return the total count
   */
  public int memoryCalls() {
    int sum = 0;
    for (String op :
        List.of("makeAccessible", "makeInaccessible", "reset", "mapImage", "removeImage", "colour")) {
      sum += count(op);
    }
    return sum;
  }

  /**
   * Reservations not closed yet.
   *
   * @return a snapshot
   */
  public Set<FakeReservation> openReservations() {
    return new HashSet<>(openReservations);
  }

  /**
   * Images not closed yet.
   *
   * @return a snapshot
   */
  public Set<FakeImage> openImages() {
    return new HashSet<>(openImages);
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * The fake keys facility.
   *
   * @return the keys
   */
  public FakeKeys keys() {
    return keys;
  }

  // ---- Backend ---------------------------------------------------------------------------------

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public long pageSize() {
    return pageSize;
  }

  @Override
  public Capabilities capabilities() {
    return capabilities;
  }

  @Override
  public Reservation reserve(long byteSize) {
    if (closed) {
      throw new BackendException("reserve", "byteSize=" + byteSize, "backend closed");
    }
    if (byteSize <= 0 || byteSize % pageSize != 0) {
      throw new BackendException("reserve", "byteSize=" + byteSize, "size not a positive multiple of the page");
    }
    record("reserve", hex(byteSize));
    FakeReservation r = new FakeReservation(this, byteSize);
    openReservations.add(r);
    return r;
  }

  @Override
  public MemoryImage createImage(MemorySegment contents) {
    if (closed || contents.byteSize() == 0) {
      throw new BackendException("createImage", "length=" + contents.byteSize(), "closed or empty");
    }
    record("createImage", hex(contents.byteSize()));
    long size = (contents.byteSize() + pageSize - 1) / pageSize * pageSize;
    byte[] bytes = new byte[Math.toIntExact(size)];
    MemorySegment.copy(contents, ValueLayout.JAVA_BYTE, 0, bytes, 0, (int) contents.byteSize());
    FakeImage image = new FakeImage(this, bytes);
    openImages.add(image);
    return image;
  }

  /** Records {@code decommit(N ranges)} (one call per batch, as one process_madvise), then restores each range. */
  @Override
  public void decommit(DecommitBatch batch) {
    record("decommit", batch.size() + " ranges");
    for (int i = 0; i < batch.size(); i++) {
      ((FakeReservation) batch.reservation(i)).restore(batch.offset(i), batch.length(i));
    }
  }

  @Override
  public ProtectionKeys protectionKeys() {
    return capabilities.protectionKeys() == 0 ? ProtectionKeys.NONE : keys;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (!openReservations.isEmpty() || !openImages.isEmpty()) {
      throw new BackendException(
          "close",
          "",
          openReservations.size() + " reservation(s) and " + openImages.size() + " image(s) still open");
    }
    closed = true;
  }

  void closed(FakeReservation r) {
    openReservations.remove(r);
  }

  void closed(FakeImage i) {
    openImages.remove(i);
  }

  static String hex(long value) {
    return "0x" + Long.toHexString(value);
  }

  // ---- images ----------------------------------------------------------------------------------

  /** An image: a copy of its bytes. */
  public static final class FakeImage implements MemoryImage {
    private final FakeBackend backend;
    final byte[] bytes;
    private volatile boolean closed;

    FakeImage(FakeBackend backend, byte[] bytes) {
      this.backend = backend;
      this.bytes = bytes;
    }

    @Override
    public long byteSize() {
      return bytes.length;
    }

    /**
     * Whether the image was closed.
     *
     * @return {@code true} once closed
     */
    public boolean isClosed() {
      return closed;
    }

    @Override
    public void close() {
      if (closed) {
        throw new BackendException("closeImage", "", "already closed");
      }
      closed = true;
      backend.closed(this);
    }
  }

  // ---- keys ------------------------------------------------------------------------------------

  /** Protection keys 1..n handed out in order; records every rights change. */
  public static final class FakeKeys implements ProtectionKeys {
    private final int available;
    private final List<Integer> rightsWritten = Collections.synchronizedList(new ArrayList<>());
    private final ThreadLocal<Integer> rights = ThreadLocal.withInitial(() -> 0);
    private final AtomicInteger allocateCalls = new AtomicInteger();

    FakeKeys(int available) {
      this.available = available;
    }

    @Override
    public List<ProtectionKey> allocate(int max) {
      allocateCalls.incrementAndGet();
      List<ProtectionKey> keys = new ArrayList<>();
      for (int k = 1; k <= Math.min(max, available); k++) {
        keys.add(new ProtectionKey(k));
      }
      return keys;
    }

    @Override
    public void setRights(int pkru) {
      rightsWritten.add(pkru);
      rights.set(pkru);
    }

    @Override
    public int rights() {
      return rights.get();
    }

    /**
     * How often {@link #allocate} was called.
     *
     * @return the count
     */
    public int allocateCalls() {
      return allocateCalls.get();
    }

    /**
     * Every value passed to {@link #setRights}.
     *
     * @return a copy
     */
    public List<Integer> rightsWritten() {
      synchronized (rightsWritten) {
        return List.copyOf(rightsWritten);
      }
    }
  }

  // ---- reservations ----------------------------------------------------------------------------

  /** A reservation over native memory. */
  public static final class FakeReservation implements Reservation {
    private final FakeBackend backend;
    private final long byteSize;
    private final Arena arena = Arena.ofShared();
    private final boolean[] accessible;
    private final int[] keys;
    private final TreeMap<Long, FakeImage> images = new TreeMap<>();
    private MemorySegment segment;
    private boolean closed;

    FakeReservation(FakeBackend backend, long byteSize) {
      this.backend = backend;
      this.byteSize = byteSize;
      int pages = Math.toIntExact(byteSize / backend.pageSize);
      this.accessible = new boolean[pages];
      this.keys = new int[pages];
      this.segment =
          backend.capabilities.virtualReservation()
              ? arena.allocate(byteSize, backend.pageSize)
              : arena.allocate(backend.pageSize, backend.pageSize);
    }

    private void check(String op, long offset, long length) {
      String args = hex(offset) + ", " + hex(length);
      if (closed) {
        throw new BackendException(op, args, "reservation closed");
      }
      long page = backend.pageSize;
      if (offset < 0 || length < 0 || offset % page != 0 || length % page != 0 || offset > byteSize - length) {
        throw new BackendException(op, args, "range invalid for reservation of " + hex(byteSize));
      }
    }

    /** Grows a non-virtual segment to cover {@code end}; the old one stays allocated. */
    private void cover(long end) {
      if (segment.byteSize() < end) {
        MemorySegment bigger = arena.allocate(end, backend.pageSize);
        bigger.copyFrom(segment);
        segment = bigger;
      }
    }

    private void setAccessible(long offset, long length, boolean value) {
      int from = (int) (offset / backend.pageSize);
      int to = (int) ((offset + length) / backend.pageSize);
      for (int p = from; p < to; p++) {
        accessible[p] = value;
      }
    }

    /**
     * Whether every page of a range is accessible.
     *
     * @param offset the start
     * @param length the length
     * @return {@code true} if all are
     */
    public synchronized boolean isAccessible(long offset, long length) {
      int from = (int) (offset / backend.pageSize);
      int to = (int) ((offset + length + backend.pageSize - 1) / backend.pageSize);
      for (int p = from; p < to; p++) {
        if (!accessible[p]) {
          return false;
        }
      }
      return true;
    }

    /**
     * Bytes accessible in a range.
     *
     * @param offset the start, page-aligned
     * @param length the length, page-aligned
     * @return accessible bytes
     */
    public synchronized long accessibleBytes(long offset, long length) {
      long sum = 0;
      for (long o = offset; o < offset + length; o += backend.pageSize) {
        if (accessible[(int) (o / backend.pageSize)]) {
          sum += backend.pageSize;
        }
      }
      return sum;
    }

    /**
     * The key a page is coloured with.
     *
     * @param offset a byte in the page
     * @return the key, 0 when uncoloured
     */
    public synchronized int keyAt(long offset) {
      return keys[(int) (offset / backend.pageSize)];
    }

    /**
     * The images mapped now, by offset.
     *
     * @return a copy
     */
    public synchronized Map<Long, FakeImage> images() {
      return new TreeMap<>(images);
    }

    /**
     * Reads a byte directly (tests only; ignores accessibility).
     *
     * @param offset the offset
     * @return the byte, 0 beyond a non-virtual segment
     */
    public synchronized byte peek(long offset) {
      return offset < segment.byteSize() ? segment.get(ValueLayout.JAVA_BYTE, offset) : 0;
    }

    /**
     * Whether the reservation was closed.
     *
     * @return {@code true} once closed
     */
    public synchronized boolean isClosed() {
      return closed;
    }

    @Override
    public long byteSize() {
      return byteSize;
    }

    @Override
    public synchronized MemorySegment segment() {
      if (closed) {
        throw new BackendException("segment", "", "reservation closed");
      }
      return segment;
    }

    @Override
    public synchronized void makeAccessible(long offset, long length) {
      check("makeAccessible", offset, length);
      backend.record("makeAccessible", hex(offset) + ", " + hex(length));
      if (!backend.capabilities.virtualReservation()) {
        cover(offset + length);
      }
      setAccessible(offset, length, true);
    }

    @Override
    public synchronized void makeInaccessible(long offset, long length) {
      check("makeInaccessible", offset, length);
      backend.record("makeInaccessible", hex(offset) + ", " + hex(length));
      setAccessible(offset, length, false);
    }

    @Override
    public synchronized void reset(long offset, long length, long keepResidentBytes) {
      long keep = checkReset(offset, length, keepResidentBytes);
      backend.record("reset", hex(offset) + ", " + hex(length) + ", keep=" + hex(keep));
      restore(offset, length);
    }

    /** Like Linux: the prefix restored now, the rest left to the batch (its bytes stay until then). */
    @Override
    public synchronized void reset(
        long offset, long length, long keepResidentBytes, DecommitBatch deferred) {
      long keep = checkReset(offset, length, keepResidentBytes);
      backend.record("reset", hex(offset) + ", " + hex(length) + ", keep=" + hex(keep));
      restore(offset, keep);
      if (length > keep) {
        deferred.add(this, offset + keep, length - keep);
      }
    }

    private long checkReset(long offset, long length, long keepResidentBytes) {
      check("reset", offset, length);
      if (keepResidentBytes < 0 || keepResidentBytes % backend.pageSize != 0) {
        throw new BackendException("reset", hex(keepResidentBytes), "keep-resident not page-aligned");
      }
      long keep = Math.min(keepResidentBytes, length);
      if (!isAccessible(offset, keep)) {
        throw new BackendException("reset", hex(offset) + ", " + hex(length), "keep-resident prefix inaccessible");
      }
      return keep;
    }

    /** Brings a range back to its baseline: zero, or the image's bytes. */
    synchronized void restore(long offset, long length) {
      long end = Math.min(offset + length, segment.byteSize());
      if (offset < end) {
        segment.asSlice(offset, end - offset).fill((byte) 0);
      }
      for (Map.Entry<Long, FakeImage> e : images.entrySet()) {
        long from = Math.max(offset, e.getKey());
        long to = Math.min(Math.min(offset + length, e.getKey() + e.getValue().bytes.length), segment.byteSize());
        if (from < to) {
          MemorySegment.copy(
              e.getValue().bytes, (int) (from - e.getKey()), segment, ValueLayout.JAVA_BYTE, from, (int) (to - from));
        }
      }
    }

    @Override
    public synchronized void mapImage(long offset, MemoryImage image) {
      check("mapImage", offset, image.byteSize());
      if (!(image instanceof FakeImage fake) || fake.backend != backend || fake.isClosed()) {
        throw new BackendException("mapImage", hex(offset), "image closed or from another backend");
      }
      long end = offset + fake.bytes.length;
      Map.Entry<Long, FakeImage> before = images.floorEntry(end - 1);
      if (before != null && before.getKey() + before.getValue().bytes.length > offset) {
        throw new BackendException("mapImage", hex(offset), "overlaps the image at " + hex(before.getKey()));
      }
      try {
        backend.record("mapImage", hex(offset) + ", " + hex(fake.bytes.length));
      } catch (BackendException e) {
        // As the SPI says: a refused mapping leaves the range inaccessible, reading zero.
        setAccessible(offset, fake.bytes.length, false);
        if (offset < segment.byteSize()) {
          segment.asSlice(offset, Math.min(fake.bytes.length, segment.byteSize() - offset)).fill((byte) 0);
        }
        throw e;
      }
      if (!backend.capabilities.virtualReservation()) {
        cover(end);
      }
      MemorySegment.copy(fake.bytes, 0, segment, ValueLayout.JAVA_BYTE, offset, fake.bytes.length);
      setAccessible(offset, fake.bytes.length, true);
      images.put(offset, fake);
    }

    @Override
    public synchronized void removeImage(long offset) {
      if (closed) {
        throw new BackendException("removeImage", hex(offset), "reservation closed");
      }
      FakeImage image = images.get(offset);
      if (image == null) {
        throw new BackendException("removeImage", hex(offset), "no image is mapped there");
      }
      try {
        backend.record("removeImage", hex(offset));
      } catch (BackendException e) {
        // As the SPI says: a refused removal leaves the range as a refused mapImage does.
        images.remove(offset);
        setAccessible(offset, image.bytes.length, false);
        long end = Math.min(offset + image.bytes.length, segment.byteSize());
        if (offset < end) {
          segment.asSlice(offset, end - offset).fill((byte) 0);
        }
        throw e;
      }
      images.remove(offset);
      long end = Math.min(offset + image.bytes.length, segment.byteSize());
      if (offset < end) {
        segment.asSlice(offset, end - offset).fill((byte) 0);
      }
      setAccessible(offset, image.bytes.length, true);
      // A fresh mapping drops the colour (Wasmtime #14076); the pool must colour again.
      for (long o = offset; o < offset + image.bytes.length; o += backend.pageSize) {
        keys[(int) (o / backend.pageSize)] = 0;
      }
    }

    @Override
    public synchronized void colour(long offset, long length, ProtectionKey key) {
      check("colour", offset, length);
      if (backend.capabilities.protectionKeys() == 0) {
        throw new BackendException("colour", hex(offset), "protection keys unsupported");
      }
      backend.record("colour", hex(offset) + ", " + hex(length) + ", key=" + key.value());
      for (long o = offset; o < offset + length; o += backend.pageSize) {
        keys[(int) (o / backend.pageSize)] = key.value();
      }
    }

    @Override
    public synchronized void close() {
      if (closed) {
        throw new BackendException("closeReservation", "", "already closed");
      }
      closed = true;
      images.clear();
      arena.close();
      backend.closed(this);
    }
  }
}
