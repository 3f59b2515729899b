package dev.wasmpool.api.internal.layout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.wasmpool.spi.support.ByteCount;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Checks at engine creation that the memory pool's reservation fits the process's address space;
 * reads the kernel's mapping limit for {@link MappingBudget}.
 *
 * <p>The checks are upper bounds that turn a certain failure into a clear message naming the
 * options to change; a reservation that passes may still fail to map when other mappings (the
 * Java heap, code, other engines) take part of the space.
 *
 * <p>Stateless and thread-safe.
 */
public final class AddressSpace {

  /** 128 TiB: the user half of a 48-bit virtual address space. */
  static final long DEFAULT_USER_ADDRESS_SPACE = 1L << 47;

  private static final Path MAPS = Path.of("/proc/self/maps");
  private static final Path MAX_MAP_COUNT = Path.of("/proc/sys/vm/max_map_count");

  private AddressSpace() {}

  /**
   * The bytes of virtual address space a process can map without special requests.
   *
   * <p>On Linux this is derived from {@code /proc/self/maps}: the end of the highest user mapping
   * (the main thread's stack sits near the top), rounded up to a power of two. That gives 2^47
   * (128 TiB) on x86-64, also with 5-level paging since the kernel maps above 2^47 only on
   * request, 2^48 on aarch64 with the default 48-bit address space and 2^39 on aarch64 kernels
   * built with 39-bit addresses. Elsewhere, or when the file cannot be read, it is 2^47, the user
   * address space of 64-bit Windows and of macOS on x86-64 and arm64.
   *
   * @return the size in bytes
   */
  public static long userAddressSpaceBytes() {
    long highestEnd = isLinux() ? highestUserMappingEnd() : 0;
    long space = highestEnd == 0 ? 0 : roundUpToPowerOfTwo(highestEnd);
    return space > 0 ? space : DEFAULT_USER_ADDRESS_SPACE;
  }

  /**
   * The end of the highest user-half mapping in {@code /proc/self/maps}, or 0 when unreadable.
   * The file is read as a stream: procfs reports its size as 0, so size-based reads see nothing.
   */
  static long highestUserMappingEnd() {
    try (BufferedReader reader = Files.newBufferedReader(MAPS)) {
      return reader.lines().mapToLong(AddressSpace::userMappingEnd).max().orElse(0);
    } catch (IOException | UncheckedIOException e) {
      return 0;
    }
  }

  /**
   * The kernel's limit on memory mappings per process.
   *
   * @return {@code /proc/sys/vm/max_map_count} on Linux when readable; empty elsewhere
   */
  public static OptionalLong maxMapCount() {
    if (!isLinux()) {
      return OptionalLong.empty();
    }
    try (BufferedReader reader = Files.newBufferedReader(MAX_MAP_COUNT)) {
      String line = reader.readLine();
      return line == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(line.strip()));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Checks that a memory pool's slab fits the address space. (Its mappings are checked by {@link
   * MappingBudget}.)
   *
   * @param layout the pool's slab
   * @param addressSpaceBytes the address space available, usually {@link #userAddressSpaceBytes()}
   * @throws IllegalArgumentException naming {@code totalMemories}, {@code memoryReservation} and
   *     {@code memoryGuardSize} and how many slots would fit with the current sizes, if the slab is
   *     larger than the address space; or if {@code addressSpaceBytes} is not positive
   */
  public static void checkFits(SlabLayout layout, long addressSpaceBytes) {
    if (addressSpaceBytes <= 0) {
      throw new IllegalArgumentException(
          "addressSpaceBytes must be positive (was " + addressSpaceBytes + ")");
    }
    long total = layout.totalSlabBytes();
    if (total > addressSpaceBytes) {
      long guards = layout.preSlabGuardBytes() + layout.postSlabGuardBytes();
      long fit = layout.slotBytes() == 0 ? 0 : Math.max(0, addressSpaceBytes - guards) / layout.slotBytes();
      throw new IllegalArgumentException(
          "totalMemories must be at most "
              + fit
              + " for the memory pool to fit in "
              + ByteCount.of(addressSpaceBytes)
              + " of address space (was "
              + layout.numSlots()
              + "): each slot takes "
              + ByteCount.of(layout.slotBytes())
              + " (memoryReservation or maxMemorySize, plus memoryGuardSize), "
              + ByteCount.of(total)
              + " in all; lower totalMemories, memoryReservation or memoryGuardSize");
    }
  }

  /** The end address of a {@code /proc/self/maps} line's range when it is a user address, else 0. */
  static long userMappingEnd(String mapsLine) {
    int dash = mapsLine.indexOf('-');
    int space = mapsLine.indexOf(' ', dash + 1);
    if (dash <= 0 || space < 0) {
      return 0;
    }
    try {
      long end = Long.parseUnsignedLong(mapsLine.substring(dash + 1, space), 16);
      // Kernel-half ranges such as x86-64's [vsyscall] page have the top bit set.
      return end < 0 ? 0 : end;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The least power of two at or above {@code value}, for a positive value. */
  static long roundUpToPowerOfTwo(long value) {
    long highest = Long.highestOneBit(value);
    return highest == value ? value : highest << 1;
  }

  private static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
  }
}
