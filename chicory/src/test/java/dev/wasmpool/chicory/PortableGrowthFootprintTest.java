package dev.wasmpool.chicory;

import static dev.wasmpool.chicory.Pools.PAGE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.wasm.WasmModule;
import dev.wasmpool.api.Engine;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import java.lang.management.ManagementFactory;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/**
 * Issue 14 item 6, measured as a user would: a Chicory instance on the portable backend grows its
 * memory page by page from guest code ({@code memory.grow}) to Flite's 262 pages, and the JVM's
 * own count of native memory (Native Memory Tracking, category "Other", where FFM arenas allocate;
 * the surefire configuration enables it) stays within twice the memory's size at every step,
 * instead of the four times it took when each replaced segment was kept until the slot's reset.
 */
class PortableGrowthFootprintTest {

  private static final Pattern OTHER = Pattern.compile("Other \\(reserved=\\d+KB, committed=(\\d+)KB\\)");

  /** Native memory committed for "Other" now, in bytes. */
  private static long nativeOtherBytes() throws Exception {
    String summary =
        (String)
            ManagementFactory.getPlatformMBeanServer()
                .invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "vmNativeMemory",
                    new Object[] {new String[] {"summary"}},
                    new String[] {String[].class.getName()});
    Matcher m = OTHER.matcher(summary);
    assertTrue(
        m.find(),
        "Native Memory Tracking must be on (-XX:NativeMemoryTracking=summary, set in chicory/pom.xml): "
            + summary);
    return Long.parseLong(m.group(1)) * 1024;
  }

  @Test
  void guestGrowsPageByPageTo262_nativeMemoryStaysWithinTwiceItsSize() throws Exception {
    WasmBuilder b = new WasmBuilder().memory(1, -1);
    int unary = b.type(new int[] {WasmBuilder.I32}, new int[] {WasmBuilder.I32});
    int store = b.type(new int[] {WasmBuilder.I32, WasmBuilder.I32}, new int[] {});
    b.exportFunction("grow", b.function(unary, new Code().localGet(0).memoryGrow()));
    b.exportFunction("load", b.function(unary, new Code().localGet(0).i32Load(0)));
    b.exportFunction("store", b.function(store, new Code().localGet(0).localGet(1).i32Store(0)));
    WasmModule module = b.parse();
    try (Engine engine =
            Pools.engine(
                "portable", p -> p.maxMemorySize(512 * PAGE), e -> e.memoryReservation(512 * PAGE));
        PooledWasmModule pooled = PooledWasmModule.load(engine, module);
        PooledInstance instance = pooled.instantiate()) {
      ExportFunction grow = instance.export("grow");
      ExportFunction put = instance.export("store");
      ExportFunction load = instance.export("load");
      put.apply(0, 0xF1173);
      long baseline = nativeOtherBytes() - PAGE; // the memory's first page is in it
      long peak = 0;
      for (int pages = 2; pages <= 262; pages++) {
        assertEquals(pages - 1, grow.apply(1)[0]);
        put.apply((pages - 1) * PAGE, pages);
        long held = nativeOtherBytes() - baseline;
        peak = Math.max(peak, held);
        long size = pages * PAGE;
        // Slack for other native allocations of the JVM meanwhile (NMT counts in KiB).
        assertTrue(
            held <= 2 * size + (1 << 20),
            pages + " pages (" + size + " bytes): native memory grew by " + held + " bytes");
      }
      assertEquals(0xF1173, load.apply(0)[0], "contents carried through every move");
      assertEquals(262, load.apply(261 * PAGE)[0]);
      System.out.printf(
          "Chicory on portable, memory.grow 1 -> 262 pages (%d bytes): NMT Other peak +%d bytes%n",
          262 * PAGE, peak);
    }
  }
}
