package dev.wasmpool.api.internal.layout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The process's budget of memory mappings ({@code vm.max_map_count} on Linux), shared by every
 * engine in it. An engine claims the most mappings its pools can ever split into before it reserves
 * them, and gives the claim back once they are unmapped; a claim that would leave the JVM too few
 * mappings for itself is refused with a message naming the options to change.
 *
 * <p>Why a budget: when the process runs out of mappings the kernel refuses the next {@code mmap},
 * and if that is the JVM's own (a thread stack, code, metaspace) the JVM aborts. So the pools may
 * use only what is left after the mappings the process has when the engine starts and {@link
 * #JVM_RESERVE} more for the JVM's growth. Mappings inside the reservations of pools that hold a
 * claim ({@link Claim#cover}) are counted by their claim, not again as the process's.
 *
 * <p>What a pool can split into, with a virtual reservation (Linux):
 *
 * <ul>
 *   <li>a memory slot, {@link #PER_MEMORY_SLOT}: the accessible bytes before an image, the image,
 *       the accessible bytes after it and the inaccessible rest. An image that does not start at
 *       the slot's base (data after the stack, the usual layout) needs all four. A warm slot keeps
 *       its image mapped, so it counts as much as a live one;
 *   <li>the memory slab's two guards, {@link #MEMORY_GUARDS};
 *   <li>a table slot, {@link #PER_TABLE_SLOT}: its accessible elements and the inaccessible rest.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class MappingBudget {

  /** Mappings one memory slot may split into; see the class comment. */
  public static final long PER_MEMORY_SLOT = 4;

  /** Mappings one table slot may split into. */
  public static final long PER_TABLE_SLOT = 2;

  /** The guards before and after the memory slab. */
  public static final long MEMORY_GUARDS = 2;

  /**
   * Mappings left to the JVM beyond those the process has when an engine starts: threads, code
   * and metaspace grow.
   */
  public static final long JVM_RESERVE = 4096;

  private static final Path MAPS = Path.of("/proc/self/maps");

  private static final MappingBudget PROCESS =
      new MappingBudget(AddressSpace::maxMapCount, MappingBudget::readMaps);

  private final Supplier<OptionalLong> limit;
  private final Supplier<List<String>> maps;

  /** Mappings claimed by pools not unmapped yet; guarded by {@code this}. */
  private long claimed;

  /** The address ranges {@code [start, end)} of the claimed pools; guarded by {@code this}. */
  private final List<long[]> covered = new ArrayList<>();

  /**
   * A budget over given sources, for tests.
   *
   * @param limit the mapping limit; empty when unknown (then nothing is checked)
   * @param maps the lines of {@code /proc/self/maps} now; empty when unreadable
   */
  MappingBudget(Supplier<OptionalLong> limit, Supplier<List<String>> maps) {
    this.limit = limit;
    this.maps = maps;
  }

  /**
   * The budget of this process: {@code /proc/sys/vm/max_map_count} against the lines of {@code
   * /proc/self/maps}.
   *
   * @return the shared budget
   */
  public static MappingBudget process() {
    return PROCESS;
  }

  /**
   * Claims the mappings of an engine's pools.
   *
   * @param memorySlots {@code totalMemories}
   * @param tableSlots {@code totalTables}
   * @return the claim, to close once the pools are unmapped
   * @throws IllegalArgumentException {@code "totalMemories must be at most N for the pools'
   *     mappings to fit vm.max_map_count=L ..."} if the pools' mappings, those the process has and
   *     those other engines claim, and {@link #JVM_RESERVE}, exceed the limit
   */
  public synchronized Claim claim(int memorySlots, int tableSlots) {
    long needed = PER_MEMORY_SLOT * memorySlots + MEMORY_GUARDS + PER_TABLE_SLOT * tableSlots;
    OptionalLong max = limit.get();
    if (max.isPresent()) {
      long now = mappingsOutsideClaims();
      long available = max.getAsLong() - now - claimed - JVM_RESERVE;
      if (needed > available) {
        long fit = Math.max(0, (available - MEMORY_GUARDS - PER_TABLE_SLOT * tableSlots) / PER_MEMORY_SLOT);
        throw new IllegalArgumentException(
            "totalMemories must be at most "
                + fit
                + " for the pools' mappings to fit vm.max_map_count="
                + max.getAsLong()
                + " (was "
                + memorySlots
                + "): the pools may need "
                + needed
                + " mappings ("
                + PER_MEMORY_SLOT
                + " per memory slot, "
                + PER_TABLE_SLOT
                + " per table slot for "
                + tableSlots
                + " tables, "
                + MEMORY_GUARDS
                + " guards), the process has "
                + now
                + ", other engines claim "
                + claimed
                + " and "
                + JVM_RESERVE
                + " are left for the JVM; lower totalMemories or totalTables, or raise"
                + " vm.max_map_count");
      }
    }
    claimed += needed;
    return new Claim(needed);
  }

  /**
   * Mappings claimed now.
   *
   * @return the sum of the open claims
   */
  public synchronized long claimed() {
    return claimed;
  }

  private synchronized void release(long mappings, List<long[]> ranges) {
    claimed -= mappings;
    covered.removeAll(ranges);
  }

  /**
   * The process's mappings that no claim accounts for: the lines of {@code /proc/self/maps} whose
   * range lies outside every claimed pool's reservation.
   */
  private long mappingsOutsideClaims() {
    long count = 0;
    for (String line : maps.get()) {
      if (!insideAClaim(line)) {
        count++;
      }
    }
    return count;
  }

  private boolean insideAClaim(String mapsLine) {
    int dash = mapsLine.indexOf('-');
    int space = mapsLine.indexOf(' ', dash + 1);
    if (covered.isEmpty() || dash <= 0 || space < 0) {
      return false;
    }
    try {
      long start = Long.parseUnsignedLong(mapsLine.substring(0, dash), 16);
      long end = Long.parseUnsignedLong(mapsLine.substring(dash + 1, space), 16);
      for (long[] range : covered) {
        if (start >= range[0] && end <= range[1]) {
          return true;
        }
      }
      return false;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The lines of {@code /proc/self/maps}, read as a stream (procfs reports a size of 0). */
  private static List<String> readMaps() {
    try (Stream<String> lines = Files.lines(MAPS)) {
      return lines.toList();
    } catch (IOException | UncheckedIOException e) {
      return List.of();
    }
  }

  /** Mappings claimed for one engine's pools; closing gives them back. Idempotent. */
  public final class Claim implements AutoCloseable {

    private final long mappings;

    /** The reservations this claim covers; guarded by the budget. */
    private final List<long[]> ranges = new ArrayList<>();

    /** Guarded by the budget. */
    private boolean released;

    private Claim(long mappings) {
      this.mappings = mappings;
    }

    /**
     * The mappings this claim holds.
     *
     * @return the count
     */
    public long mappings() {
      return mappings;
    }

    /**
     * Declares a reservation of the claimed pools, so that the mappings in it count against this
     * claim only, not again as the process's when another engine claims.
     *
     * @param address the reservation's first byte
     * @param byteSize its size
     */
    public void cover(long address, long byteSize) {
      synchronized (MappingBudget.this) {
        if (!released && byteSize > 0) {
          long[] range = {address, address + byteSize};
          ranges.add(range);
          covered.add(range);
        }
      }
    }

    @Override
    public void close() {
      synchronized (MappingBudget.this) {
        if (!released) {
          released = true;
          release(mappings, ranges);
        }
      }
    }
  }
}
