package dev.wasmpool.api.internal.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.PoolingAllocationConfig;
import dev.wasmpool.api.AllocationStrategy;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

class AddressSpaceTest {

  private static final long PAGE = 4096;
  private static final long SPACE = 1L << 47;

  private static SlabLayout defaultLayoutWith(int totalMemories) {
    EngineConfig config =
        EngineConfig.builder()
            .allocationStrategy(
                AllocationStrategy.pooling(
                    PoolingAllocationConfig.builder().totalMemories(totalMemories).build()))
            .build();
    return SlabLayout.calculate(SlabConstraints.of(config, 0, PAGE));
  }

  /** The message of the {@link IllegalArgumentException} that the check must throw. */
  private static String checkFitsMessage(SlabLayout layout, long addressSpace) {
    return assertThrows(IllegalArgumentException.class, () -> AddressSpace.checkFits(layout, addressSpace))
        .getMessage();
  }

  /* ---- address space ---- */

  @Test
  void checkFits_tooManyDefaultSlots_saysHowManyFit() {
    SlabLayout layout = defaultLayoutWith(70_000);
    String message = checkFitsMessage(layout, SPACE);
    assertEquals(
        "totalMemories must be at most 65535 for the memory pool to fit in 140737488355328 bytes"
            + " (128 TiB) of address space (was 70000): each slot takes 2147483648 bytes (2"
            + " GiB) (memoryReservation or maxMemorySize, plus memoryGuardSize), 150323855425536"
            + " bytes (136.7 TiB) in all; lower totalMemories, memoryReservation or"
            + " memoryGuardSize",
        message);
  }

  @Test
  void checkFits_theAnnouncedCountFits_oneMoreDoesNot() {
    AddressSpace.checkFits(defaultLayoutWith(65_535), SPACE);
    assertThrows(
        IllegalArgumentException.class,
        () -> AddressSpace.checkFits(defaultLayoutWith(65_536), SPACE));
  }

  @Test
  void checkFits_wasmtimeSizedSlots_fitHalfAsMany() {
    SlabLayout layout = SlabLayout.calculate(new SlabConstraints(4L << 30, 4L << 30, 40_000, 32L << 20, true, 0, PAGE));
    String message = checkFitsMessage(layout, SPACE);
    assertTrue(message.startsWith("totalMemories must be at most 32513 "), message);
  }

  @Test
  void checkFits_guardsAloneExceedTheSpace_nothingFits() {
    SlabLayout layout = new SlabLayout(1, PAGE, 1L << 40, 1L << 40, 1);
    String message = checkFitsMessage(layout, 1L << 40);
    assertTrue(message.startsWith("totalMemories must be at most 0 "), message);
  }

  @Test
  void checkFits_invalidArguments_throw() {
    SlabLayout layout = defaultLayoutWith(1);
    assertThrows(IllegalArgumentException.class, () -> AddressSpace.checkFits(layout, 0));
  }

  /* ---- the running system ---- */

  @Test
  @EnabledOnOs(value = OS.LINUX, architectures = {"amd64", "x86_64"})
  void userAddressSpaceBytes_x86_64Linux_is128TiB() {
    long highestEnd = AddressSpace.highestUserMappingEnd();
    assertTrue(highestEnd > 1L << 46, "maps were read: highest end 0x" + Long.toHexString(highestEnd));
    assertEquals(1L << 47, AddressSpace.userAddressSpaceBytes());
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void maxMapCount_linux_isReadable() {
    OptionalLong count = AddressSpace.maxMapCount();
    assertTrue(count.isPresent());
    // The kernel's default is 65530; only a deliberate setting or a partial read gives far less.
    assertTrue(count.getAsLong() >= 1000, "max_map_count " + count);
  }

  @Test
  @EnabledOnOs(OS.LINUX)
  void checkFits_defaultsFitThisMachine() {
    AddressSpace.checkFits(defaultLayoutWith(1000), AddressSpace.userAddressSpaceBytes());
  }

  @Test
  void userMappingEnd_parsesMapsLines() {
    assertEquals(
        0x7ffd1235b000L,
        AddressSpace.userMappingEnd(
            "7ffd1233a000-7ffd1235b000 rw-p 00000000 00:00 0                          [stack]"));
    assertEquals(
        0,
        AddressSpace.userMappingEnd(
            "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]"));
    assertEquals(0, AddressSpace.userMappingEnd("garbage"));
    assertEquals(1L << 47, AddressSpace.roundUpToPowerOfTwo(0x7ffd1235b000L));
    assertEquals(1L << 39, AddressSpace.roundUpToPowerOfTwo(1L << 39));
  }

}
