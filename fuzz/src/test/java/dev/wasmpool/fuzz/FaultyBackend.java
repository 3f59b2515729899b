package dev.wasmpool.fuzz;

import dev.wasmpool.fuzz.Faults.Op;
import dev.wasmpool.spi.Backend;
import dev.wasmpool.spi.Capabilities;
import dev.wasmpool.spi.DecommitBatch;
import dev.wasmpool.spi.MemoryImage;
import dev.wasmpool.spi.ProtectionKey;
import dev.wasmpool.spi.ProtectionKeys;
import dev.wasmpool.spi.Reservation;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend decorator that fails chosen operations with a {@link Faults.InjectedFault}, as a
 * refusing system would, and otherwise passes every call through. A failed operation changes
 * nothing, except where the SPI says what a refused one leaves: a failed {@code mapImage} or
 * {@code removeImage} leaves its range inaccessible, with no image mapped, reading zero once made
 * accessible again. It also counts the reservations and images still open, so that a test can see
 * that the engine released everything.
 */
final class FaultyBackend implements Backend {

  private final Backend delegate;
  private final Faults faults;
  final AtomicInteger openReservations = new AtomicInteger();
  final AtomicInteger openImages = new AtomicInteger();

  FaultyBackend(Backend delegate, Faults faults) {
    this.delegate = delegate;
    this.faults = faults;
  }

  @Override
  public String name() {
    return FaultyBackendProvider.NAME;
  }

  @Override
  public long pageSize() {
    return delegate.pageSize();
  }

  @Override
  public Capabilities capabilities() {
    return delegate.capabilities();
  }

  @Override
  public Reservation reserve(long byteSize) {
    faults.maybeFail(Op.RESERVE, "byteSize=0x" + Long.toHexString(byteSize));
    Reservation r = delegate.reserve(byteSize);
    openReservations.incrementAndGet();
    return new FaultyReservation(r);
  }

  @Override
  public MemoryImage createImage(MemorySegment contents) {
    faults.maybeFail(Op.CREATE_IMAGE, "byteSize=0x" + Long.toHexString(contents.byteSize()));
    MemoryImage image = delegate.createImage(contents);
    openImages.incrementAndGet();
    return new FaultyImage(image);
  }

  /** A batch fails like one reset would: before anything is decommitted. */
  @Override
  public void decommit(DecommitBatch batch) {
    if (!batch.isEmpty()) {
      faults.maybeFail(Op.RESET, "decommit of " + batch.size() + " ranges");
    }
    delegate.decommit(batch);
  }

  @Override
  public String decommitMethod() {
    return delegate.decommitMethod();
  }

  @Override
  public ProtectionKeys protectionKeys() {
    return delegate.protectionKeys();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private final class FaultyImage implements MemoryImage {
    final MemoryImage image;
    private volatile boolean closed;

    FaultyImage(MemoryImage image) {
      this.image = image;
    }

    @Override
    public long byteSize() {
      return image.byteSize();
    }

    @Override
    public void close() {
      image.close();
      if (!closed) {
        closed = true;
        openImages.decrementAndGet();
      }
    }
  }

  private final class FaultyReservation implements Reservation {
    private final Reservation r;
    private final Map<Long, Long> imageSizes = new ConcurrentHashMap<>();
    private volatile boolean closed;

    FaultyReservation(Reservation r) {
      this.r = r;
    }

    private static String range(long offset, long length) {
      return "offset=0x" + Long.toHexString(offset) + " length=0x" + Long.toHexString(length);
    }

    @Override
    public long byteSize() {
      return r.byteSize();
    }

    @Override
    public MemorySegment segment() {
      return r.segment();
    }

    @Override
    public void makeAccessible(long offset, long length) {
      if (length > 0) {
        faults.maybeFail(Op.MAKE_ACCESSIBLE, range(offset, length));
      }
      r.makeAccessible(offset, length);
    }

    @Override
    public void makeInaccessible(long offset, long length) {
      if (length > 0) {
        faults.maybeFail(Op.MAKE_INACCESSIBLE, range(offset, length));
      }
      r.makeInaccessible(offset, length);
    }

    @Override
    public void reset(long offset, long length, long keepResidentBytes) {
      if (length > 0) {
        faults.maybeFail(Op.RESET, range(offset, length) + " keepResident=0x" + Long.toHexString(keepResidentBytes));
      }
      r.reset(offset, length, keepResidentBytes);
    }

    /** The wrapped reservation adds its own ranges: the batch goes to the wrapped backend. */
    @Override
    public void reset(long offset, long length, long keepResidentBytes, DecommitBatch deferred) {
      if (length > 0) {
        faults.maybeFail(Op.RESET, range(offset, length) + " keepResident=0x" + Long.toHexString(keepResidentBytes));
      }
      r.reset(offset, length, keepResidentBytes, deferred);
    }

    @Override
    public boolean revoke(long offset, long length) {
      return r.revoke(offset, length);
    }

    @Override
    public long residentBytes() {
      return r.residentBytes();
    }

    @Override
    public void releaseReplacedSegments() {
      r.releaseReplacedSegments();
    }

    @Override
    public void mapImage(long offset, MemoryImage image) {
      MemoryImage real = image instanceof FaultyImage f ? f.image : image;
      long length = real.byteSize();
      if (faults.shouldFail(Op.MAP_IMAGE)) {
        // What a refused mmap leaves, per the SPI: inaccessible, no image, zero when reopened.
        r.reset(offset, length);
        r.makeInaccessible(offset, length);
        throw new Faults.InjectedFault(Op.MAP_IMAGE, range(offset, length));
      }
      r.mapImage(offset, real);
      imageSizes.put(offset, length);
    }

    @Override
    public void removeImage(long offset) {
      boolean fail = imageSizes.containsKey(offset) && faults.shouldFail(Op.REMOVE_IMAGE);
      r.removeImage(offset);
      Long length = imageSizes.remove(offset);
      if (fail) {
        r.makeInaccessible(offset, length);
        throw new Faults.InjectedFault(Op.REMOVE_IMAGE, "offset=0x" + Long.toHexString(offset));
      }
    }

    @Override
    public void colour(long offset, long length, ProtectionKey key) {
      r.colour(offset, length, key);
    }

    @Override
    public void close() {
      r.close();
      if (!closed) {
        closed = true;
        openReservations.decrementAndGet();
      }
    }
  }
}
