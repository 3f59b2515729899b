package dev.wasmpool.chicory;

import static dev.wasmpool.testkit.WasmBuilder.I32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.wasmpool.testkit.Code;
import dev.wasmpool.testkit.WasmBuilder;
import dev.wasmpool.api.AllocationStrategy;
import dev.wasmpool.api.Engine;
import dev.wasmpool.api.EngineConfig;
import dev.wasmpool.api.binding.GuestRights;
import dev.wasmpool.api.MemoryProtectionKeys;
import dev.wasmpool.api.PoolingAllocationConfig;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * Protection keys on the real Linux backend. On a CPU with PKU (this project runs it under QEMU's
 * emulated {@code -cpu max}, see {@code scripts/mpk-emulator.sh}) the pool is striped with keys the
 * kernel allocated, guest code runs with its own key only, host functions may touch every
 * instance, and a raw access from guest rights to another stripe's slot kills the process with
 * {@code SEGV_PKUERR}. Without PKU, {@code AUTO} keeps today's layout and {@code ENABLE} fails
 * with Wasmtime's message. Each test checks whichever the machine is.
 */
@EnabledOnOs(value = OS.LINUX, disabledReason = "protection keys exist only on Linux")
class MpkHardwareTest {

  static final long PAGE = 65536;

  private static final String NEEDS_PKU =
      "needs a CPU with PKU (/proc/cpuinfo pku, ospke): run scripts/mpk-emulator.sh";

  /** Whether this CPU and kernel have protection keys, as /proc/cpuinfo says. */
  static boolean pku() {
    try {
      String flags = Files.readString(Path.of("/proc/cpuinfo"));
      return System.getProperty("os.arch").equals("amd64") && flags.contains(" pku") && flags.contains(" ospke");
    } catch (IOException e) {
      return false;
    }
  }

  /** 8 one-page slots, a 192 KiB guard: up to four stripes of 64 KiB, as in MpkEngineTest. */
  static Engine stripedEngine(MemoryProtectionKeys mode) {
    PoolingAllocationConfig pool =
        PoolingAllocationConfig.builder()
            .totalMemories(8)
            .totalCoreInstances(16)
            .totalTables(0)
            .maxTablesPerModule(0)
            .maxMemorySize(PAGE)
            .memoryProtectionKeys(mode)
            .maxMemoryProtectionKeys(4)
            .build();
    return Engine.create(
        EngineConfig.builder()
            .backend("linux")
            .memoryReservation(PAGE)
            .memoryGuardSize(3 * PAGE)
            .allocationStrategy(AllocationStrategy.pooling(pool))
            .build());
  }

  /**
   * One page; {@code store(addr, byte)}, {@code load(addr)}, and {@code copy()} which calls the
   * host function {@code host.copy} and then returns {@code load(0)}.
   */
  static WasmModule memoryModule() {
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    int store = b.type(new int[] {I32, I32}, new int[0]);
    int load = b.type(new int[] {I32}, new int[] {I32});
    int unit = b.type(new int[0], new int[] {I32});
    int none = b.type(new int[0], new int[0]);
    int copy = b.importFunction("host", "copy", none);
    b.exportFunction("store", b.function(store, new Code().localGet(0).localGet(1).i32Store8(0)));
    b.exportFunction("load", b.function(load, new Code().localGet(0).i32Load8U(0)));
    b.exportFunction("copy", b.function(unit, new Code().call(copy).i32Const(0).i32Load8U(0)));
    return b.parse();
  }

  /** The same module without the import, for instances that need none. */
  static WasmModule storeModule() {
    WasmBuilder b = new WasmBuilder().memory(1, 1);
    int store = b.type(new int[] {I32, I32}, new int[0]);
    int load = b.type(new int[] {I32}, new int[] {I32});
    b.exportFunction("store", b.function(store, new Code().localGet(0).localGet(1).i32Store8(0)));
    b.exportFunction("load", b.function(load, new Code().localGet(0).i32Load8U(0)));
    return b.parse();
  }

  /** The protection keys of this process's mappings, from /proc/self/smaps. */
  private static Set<Integer> mappedKeys() throws IOException {
    Set<Integer> keys = new HashSet<>();
    Matcher m = Pattern.compile("(?m)^ProtectionKey:\\s+(\\d+)").matcher(Files.readString(Path.of("/proc/self/smaps")));
    while (m.find()) {
      keys.add(Integer.parseInt(m.group(1)));
    }
    return keys;
  }

  @Test
  void auto_keepsTodaysLayoutWithoutPku_stripesWithPku() throws IOException {
    try (Engine engine = stripedEngine(MemoryProtectionKeys.AUTO);
        PooledWasmModule module = PooledWasmModule.load(engine, storeModule());
        PooledInstance a = module.instantiate()) {
      if (pku()) {
        assertTrue(a.allocation().guestRights().restricts());
        assertTrue(mappedKeys().size() >= 3, "key 0 and at least two stripe keys mapped: " + mappedKeys());
      } else {
        assertSame(GuestRights.UNRESTRICTED, a.allocation().guestRights());
        assertFalse(mappedKeys().stream().anyMatch(k -> k != 0), "no mapping carries a key");
      }
    }
  }

  @Test
  void enable_failsWithoutPku_stripesWithPku() throws IOException {
    if (!pku()) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> stripedEngine(MemoryProtectionKeys.ENABLE));
      assertEquals("mpk is disabled on this system", e.getMessage());
      return;
    }
    try (Engine engine = stripedEngine(MemoryProtectionKeys.ENABLE);
        PooledWasmModule module = PooledWasmModule.load(engine, storeModule())) {
      Set<Integer> registers = new HashSet<>();
      List<PooledInstance> live = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        PooledInstance p = module.instantiate();
        live.add(p);
        registers.add(p.allocation().guestRights().guestRegister());
        p.export("store").apply(0, 40 + i);
        assertArrayEquals(new long[] {40 + i}, p.export("load").apply(0));
        assertEquals(40 + i, p.memory().read(0), "host reads every instance's memory");
      }
      assertEquals(4, registers.size(), "four instances, four stripe keys");
      Set<Integer> keys = mappedKeys();
      keys.remove(0);
      assertEquals(4, keys.size(), "the slab's slots carry four keys: " + keys);
      live.forEach(PooledInstance::close);
    }
  }

  @Test
  void hostFunction_copiesBetweenTwoInstancesOnDifferentStripes() {
    assumeTrue(pku(), NEEDS_PKU);
    try (Engine engine = stripedEngine(MemoryProtectionKeys.ENABLE);
        PooledWasmModule sources = PooledWasmModule.load(engine, storeModule());
        PooledWasmModule copiers = PooledWasmModule.load(engine, memoryModule());
        PooledInstance source = sources.instantiate()) {
      source.export("store").apply(0, 0x77);
      HostFunction copy =
          new HostFunction(
              "host",
              "copy",
              FunctionType.of(List.of(), List.of()),
              (instance, args) -> {
                instance.memory().writeByte(0, source.memory().read(0));
                return null;
              });
      try (PooledInstance copier = copiers.instantiate(ImportValues.builder().addFunction(copy).build(), null)) {
        assertNotEquals(
            source.allocation().guestRights().guestRegister(), copier.allocation().guestRights().guestRegister());
        assertArrayEquals(new long[] {0x77}, copier.export("copy").apply());
      }
    }
  }

  @Test
  void importedMemoryOfAnotherStripe_isReachedByTheImportersGuestCode() {
    assumeTrue(pku(), NEEDS_PKU);
    WasmBuilder b = new WasmBuilder().importMemory("env", "m", 1, 1);
    int load = b.type(new int[] {I32}, new int[] {I32});
    b.exportFunction("load", b.function(load, new Code().localGet(0).i32Load8U(0)));
    WasmModule importer = b.parse();
    try (Engine engine = stripedEngine(MemoryProtectionKeys.ENABLE);
        PooledWasmModule exporters = PooledWasmModule.load(engine, storeModule());
        PooledWasmModule importers = PooledWasmModule.load(engine, importer);
        PooledInstance exporter = exporters.instantiate()) {
      exporter.export("store").apply(5, 0x31);
      ImportValues imports =
          ImportValues.builder().addMemory(new ImportMemory("env", "m", exporter.memory())).build();
      try (PooledInstance reader = importers.instantiate(imports, null)) {
        // The importer has no memory of its own: key 0 plus the exporter's key.
        assertArrayEquals(new long[] {0x31}, reader.export("load").apply(5));
      }
    }
  }

  @Test
  void otherThread_reachesSlotsOfAnEngineCreatedElsewhere() throws Exception {
    assumeTrue(pku(), NEEDS_PKU);
    try (Engine engine = stripedEngine(MemoryProtectionKeys.ENABLE);
        PooledWasmModule module = PooledWasmModule.load(engine, storeModule())) {
      Throwable[] failure = new Throwable[1];
      Thread t =
          new Thread(
              () -> {
                try (PooledInstance p = module.instantiate()) {
                  p.export("store").apply(3, 9);
                  assertEquals(9, p.memory().read(3));
                } catch (Throwable e) {
                  failure[0] = e;
                }
              });
      t.start();
      t.join();
      if (failure[0] != null) {
        throw new AssertionError(failure[0]);
      }
    }
  }

  /** What Linux gives a new process's threads: keys 1-15 access-disabled. */
  private static final int LINUX_INITIAL_RIGHTS = 0x5555_5554;

  /** A Linux backend of its own, for its rights register. */
  private static dev.wasmpool.spi.Backend linuxBackend() {
    for (dev.wasmpool.spi.BackendProvider provider :
        java.util.ServiceLoader.load(dev.wasmpool.spi.BackendProvider.class)) {
      if (provider.name().equals("linux")) {
        return provider.create();
      }
    }
    throw new IllegalStateException("no linux backend on the class path");
  }

  @Test
  void threadThatNeverUsedTheEngine_reachesAMemoryHandedToIt() throws Exception {
    assumeTrue(pku(), NEEDS_PKU);
    java.util.concurrent.CountDownLatch handed = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<com.dylibso.chicory.runtime.Memory> memory =
        new java.util.concurrent.atomic.AtomicReference<>();
    int[] read = new int[2];
    Throwable[] failure = new Throwable[1];
    // Threads inherit their creator's rights, and earlier tests gave this one every key; so the
    // thread sets Linux's initial rights itself (keys 1-15 denied, what a thread started before
    // the engine has: pkey_alloc grants a key to the allocating thread only). Without the slow
    // path's switch to host rights its first access would end this JVM with SEGV_PKUERR.
    Thread t =
        new Thread(
            () -> {
              try (dev.wasmpool.spi.Backend linux = linuxBackend()) {
                linux.protectionKeys().setRights(LINUX_INITIAL_RIGHTS);
                handed.await();
                com.dylibso.chicory.runtime.Memory m = memory.get();
                read[0] = m.read(3);
                m.writeByte(4, (byte) 11);
                read[1] = m.read(4);
              } catch (Throwable e) {
                failure[0] = e;
              }
            });
    t.start();
    try (Engine engine = stripedEngine(MemoryProtectionKeys.ENABLE);
        PooledWasmModule module = PooledWasmModule.load(engine, storeModule());
        PooledInstance p = module.instantiate()) {
      p.export("store").apply(3, 9);
      memory.set(p.memory());
      handed.countDown();
      t.join();
      if (failure[0] != null) {
        throw new AssertionError(failure[0]);
      }
      assertEquals(9, read[0]);
      assertEquals(11, read[1]);
      assertEquals(11, p.memory().read(4), "the owner sees the other thread's write");
    }
  }

  @Test
  void rawAccessToAnotherStripe_killsGuestRights_withSegvPkuerr_hostRightsRead() throws Exception {
    assumeTrue(pku(), NEEDS_PKU);
    Child host = child("host");
    assertEquals(0, host.exit(), host.output());
    assertTrue(host.output().contains("probe: read 1 byte(s) natively, then 0x5a"), host.output());
    Child guest = child("guest");
    assertNotEquals(0, guest.exit(), guest.output());
    assertFalse(guest.output().contains("probe: read"), guest.output());
    assertTrue(guest.output().contains("SIGSEGV"), guest.output());
    // si_code 4 is SEGV_PKUERR on Linux; the JVM's crash log names it when its build knows the name.
    assertTrue(
        guest.siginfo().contains("SEGV_PKUERR") || guest.siginfo().matches(".*si_code: 4\\b.*"),
        "hs_err siginfo: " + guest.siginfo());
    System.out.println("MpkHardwareTest: guest-rights access died with: " + guest.siginfo());
  }

  private record Child(int exit, String output, String crashLog) {
    String siginfo() {
      Matcher m = Pattern.compile("(?m)^siginfo:.*$").matcher(crashLog);
      return m.find() ? m.group() : "(no siginfo line)";
    }
  }

  private static Child child(String mode) throws Exception {
    Path dir = Files.createTempDirectory("mpk-probe");
    Path errorFile = dir.resolve("hs_err.log");
    String testClasses = Path.of(MpkFaultProbe.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    List<String> path = new ArrayList<>();
    path.add(testClasses);
    for (String property : List.of("jdk.module.path", "java.class.path")) {
      String value = System.getProperty(property, "");
      if (!value.isEmpty()) {
        path.add(value);
      }
    }
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p =
        new ProcessBuilder(
                java,
                "--enable-native-access=ALL-UNNAMED",
                "-XX:-CreateCoredumpOnCrash",
                "-XX:ErrorFile=" + errorFile,
                "-cp",
                String.join(File.pathSeparator, path),
                MpkFaultProbe.class.getName(),
                mode)
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("probe child did not end: " + output);
    }
    String crash = Files.exists(errorFile) ? Files.readString(errorFile) : "";
    return new Child(p.exitValue(), output, crash);
  }
}
