package dev.wasmpool.api.internal.layout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
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
 * #JVM_RESERVE} more for the JVM's growth.
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
      new MappingBudget(AddressSpace::maxMapCount, MappingBudget::mappingsInUse);

  private final Supplier<OptionalLong> limit;
  private final LongSupplier inUse;

  /** Mappings claimed by pools not unmapped yet; guarded by {@code this}. */
  private long claimed;

  /**
   * A budget over given sources, for tests.
   *
   * @param limit the mapping limit; empty when unknown (then nothing is checked)
   * @param inUse the mappings the process has now
   */
  MappingBudget(Supplier<OptionalLong> limit, LongSupplier inUse) {
    this.limit = limit;
    this.inUse = inUse;
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
      long now = inUse.getAsLong();
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

  private synchronized void release(long mappings) {
    claimed -= mappings;
  }

  /**
   * The mappings the process has: the lines of {@code /proc/self/maps}.
   *
   * @return the count; 0 when the file cannot be read
   */
  static long mappingsInUse() {
    try (Stream<String> lines = Files.lines(MAPS)) {
      return lines.count();
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  /** Mappings claimed for one engine's pools; closing gives them back. Idempotent. */
  public final class Claim implements AutoCloseable {

    private final long mappings;

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

    @Override
    public void close() {
      synchronized (MappingBudget.this) {
        if (!released) {
          released = true;
          release(mappings);
        }
      }
    }
  }
}
