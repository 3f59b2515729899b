package dev.wasmpool.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import dev.wasmpool.api.Engine;
import dev.wasmpool.chicory.PooledInstance;
import dev.wasmpool.chicory.PooledWasmModule;
import dev.wasmpool.fuzz.EdgeProgram.Step;
import dev.wasmpool.testkit.Backends;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Randomized differential against Chicory's own {@link ByteArrayMemory}. Each case builds a random
 * pool ({@link PoolShape}) and a few random {@link EdgeProgram}s; each run instantiates one program
 * twice, from the pool and with Chicory's {@code ByteArrayMemory}, calls the same random sequence
 * of steps with arguments aimed at edges (address 0, the last bytes, page ends, just past the end,
 * far out of bounds; lengths to the end and one past it), and requires the same result or the
 * same kind of trap at every step, and the same memory bytes and table elements at the end.
 * Pooled instances are closed after their run, so the next run of the case starts on a reused
 * slot.
 *
 * <p>A quarter of the cases run both sides on Chicory's runtime compiler. (Chicory 1.7.5's
 * interpreter wraps {@code address + offset} to 32 bits, so an access such as {@code i32.store8
 * offset=65537} at address {@code 0xfffffffe} writes byte 65535 instead of trapping; its compiler
 * traps. Comparing like with like keeps that Chicory bug out of the comparison.) The reference
 * memory's maximum is the pool's documented one: the declared maximum, capped by {@code
 * maxMemorySize}. Runs {@value FuzzBudget#SECONDS} seconds (30 by default); see {@link
 * FuzzBudget} for the seed properties.
 */
class ChicoryDifferentialFuzzTest {

  private static final int PAGE = PoolShape.PAGE;

  /** A step's outcome: its result, or the class and message of what it threw. */
  private record Outcome(long value, String thrown, String message) {
    static Outcome of(Instance instance, Step step, long[] args) {
      try {
        return new Outcome(instance.export(step.name()).apply(args)[0], null, null);
      } catch (IndexOutOfBoundsException e) {
        // Chicory 1.7.5's own bounds checks overflow for indices near 2^31 (table.copy with a
        // destination of 0x7fffffff): the table's array, or the pooled table's bounds check,
        // throws instead of a trap. Which subclass says where, not what: compare the family.
        return new Outcome(0, IndexOutOfBoundsException.class.getName(), e.getMessage());
      } catch (RuntimeException e) {
        return new Outcome(0, e.getClass().getName(), e.getMessage());
      }
    }

    boolean sameAs(Outcome o) {
      return value == o.value && Objects.equals(thrown, o.thrown);
    }

    @Override
    public String toString() {
      return thrown == null ? "0x" + Long.toHexString(value) : thrown + ": " + message;
    }
  }

  @Test
  void pooledInstancesBehaveAsChicorysByteArrayMemory() {
    FuzzBudget budget = FuzzBudget.of(getClass());
    List<String> backends = Backends.onThisOs();
    long[] totals = new long[2];
    for (Long caseSeed = budget.nextCase(); caseSeed != null; caseSeed = budget.nextCase()) {
      String replay = budget.replay(caseSeed);
      try {
        runCase(caseSeed, backends, replay, totals);
      } catch (RuntimeException | AssertionError e) {
        throw new AssertionError(replay + ": " + e, e);
      }
    }
    budget.report(totals[0] + " runs, " + totals[1] + " steps compared");
    assertTrue(totals[1] > 0, "no step ran");
  }

  private static void runCase(long caseSeed, List<String> backends, String context, long[] totals) {
    String replay = context;
    SplittableRandom r = new SplittableRandom(caseSeed);
    PoolShape shape = PoolShape.random(r, backends.get(r.nextInt(backends.size())));
    List<EdgeProgram> programs = new ArrayList<>();
    int count = 1 + r.nextInt(3);
    for (int i = 0; i < count; i++) {
      programs.add(EdgeProgram.random(r, shape));
    }
    // A quarter of the cases run the pooled instances on Chicory's compiler, whose generated code
    // calls the memory's methods differently from the interpreter.
    boolean compiled = r.nextInt(4) == 0;
    replay += compiled ? ", pooled instances compiled" : "";
    try (Engine engine = Engine.create(shape.engine())) {
      List<PooledWasmModule> loaded = new ArrayList<>();
      List<Function<Instance, Machine>> referenceMachines = new ArrayList<>();
      for (EdgeProgram p : programs) {
        PooledWasmModule.Builder builder = PooledWasmModule.builder(engine, p.module);
        loaded.add(compiled ? builder.withCompiler().build() : builder.build());
        referenceMachines.add(compiled ? MachineFactoryCompiler.compile(p.module) : InterpreterMachine::new);
      }
      int runs = 2 + r.nextInt(6);
      for (int run = 0; run < runs; run++) {
        int k = r.nextInt(programs.size());
        EdgeProgram program = programs.get(k);
        String where = replay + ", " + shape + ", run " + run + ", program " + k + " " + program;
        Instance reference = referenceInstance(program, shape, referenceMachines.get(k));
        try (PooledInstance pooled = loaded.get(k).instantiate()) {
          totals[1] += compareRun(r, program, pooled.instance(), reference, where);
        }
        totals[0]++;
      }
      for (PooledWasmModule m : loaded) {
        m.close();
      }
    }
  }

  /**
   * The reference: the same machine (interpreter or compiler) as the pooled side, Chicory's
   * {@code ByteArrayMemory} capped at the pool's documented maximum (the declared maximum, at most
   * {@code maxMemorySize}), and a table of Chicory's own with a private copy of the limits
   * (Chicory 1.7.5's {@code TableInstance.grow} grows the module's {@code TableLimits} in place,
   * which would make the next instance of the module start larger).
   */
  private static Instance referenceInstance(
      EdgeProgram program, PoolShape shape, Function<Instance, Machine> machines) {
    return Instance.builder(program.module)
        .withMachineFactory(machines)
        .withMemoryFactory(
            limits ->
                new ByteArrayMemory(
                    new MemoryLimits(limits.initialPages(), Math.min(limits.maximumPages(), shape.maxPages()))))
        .withTableFactory(
            (table, init) ->
                new TableInstance(
                    new Table(table.elementType(), new TableLimits(table.limits().min(), table.limits().max())),
                    init))
        .build();
  }

  private static int compareRun(
      SplittableRandom r, EdgeProgram program, Instance pooled, Instance reference, String where) {
    compareState(pooled, reference, where + ", after instantiation");
    int steps = 20 + r.nextInt(180);
    List<String> history = new ArrayList<>();
    for (int s = 0; s < steps; s++) {
      Step step = program.steps.get(r.nextInt(program.steps.size()));
      long[] args = arguments(r, step, reference);
      Outcome expected = Outcome.of(reference, step, args);
      Outcome actual = Outcome.of(pooled, step, args);
      history.add(step.name() + Arrays.toString(args) + " = " + expected);
      if (!actual.sameAs(expected)) {
        throw new AssertionError(
            where + ", step " + s + " " + step.name() + Arrays.toString(args) + ": pooled gave " + actual
                + ", ByteArrayMemory gave " + expected + "; last steps: " + tail(history));
      }
    }
    compareState(pooled, reference, where + ", after " + steps + " steps; last steps: " + tail(history));
    return steps;
  }

  private static List<String> tail(List<String> history) {
    return history.subList(Math.max(0, history.size() - 12), history.size());
  }

  private static void compareState(Instance pooled, Instance reference, String where) {
    Memory p = pooled.memory();
    Memory e = reference.memory();
    if (p.pages() != e.pages()) {
      throw new AssertionError(where + ": pooled memory has " + p.pages() + " pages, ByteArrayMemory " + e.pages());
    }
    byte[] pb = p.readBytes(0, p.pages() * PAGE);
    byte[] eb = e.readBytes(0, e.pages() * PAGE);
    int at = Arrays.mismatch(pb, eb);
    if (at >= 0) {
      throw new AssertionError(
          String.format(
              "%s: memory byte at 0x%x is 0x%02x pooled, 0x%02x in ByteArrayMemory",
              where, at, pb[at] & 0xff, eb[at] & 0xff));
    }
    TableInstance pt = pooled.table(0);
    TableInstance et = reference.table(0);
    if (pt.size() != et.size()) {
      throw new AssertionError(where + ": pooled table has " + pt.size() + " elements, reference " + et.size());
    }
    for (int i = 0; i < et.size(); i++) {
      if (pt.ref(i) != et.ref(i)) {
        throw new AssertionError(where + ": table element " + i + " is " + pt.ref(i) + " pooled, " + et.ref(i) + " in the reference");
      }
    }
  }

  /** Arguments aimed at the edges of the reference instance's current memory and table. */
  private static long[] arguments(SplittableRandom r, Step step, Instance reference) {
    long memoryBytes = (long) reference.memory().pages() * PAGE;
    int tableSize = reference.table(0).size();
    return switch (step.kind()) {
      case ACCESS -> new long[] {(int) (address(r, memoryBytes, step.width()) - step.offset()), value(r), 0};
      case GROW -> new long[] {pick(r, 0, 1, 2, r.nextInt(4), 32767, 65536, -1, 0x7fffffff), 0, 0};
      case BULK_MEMORY -> {
        long dst = address(r, memoryBytes, 1);
        long src = r.nextBoolean() ? address(r, memoryBytes, 1) : r.nextInt(256);
        yield new long[] {(int) dst, (int) src, (int) length(r, memoryBytes, dst)};
      }
      case TABLE_INDEX -> new long[] {(int) address(r, tableSize, 1), 0, 0};
      case TABLE_GROW -> new long[] {pick(r, 0, 1, 2, r.nextInt(10), 100, 100000, -1), 0, 0};
      case BULK_TABLE -> {
        long dst = address(r, tableSize, 1);
        long src = address(r, tableSize, 1);
        yield new long[] {(int) dst, (int) src, (int) length(r, tableSize, dst)};
      }
      case NONE -> new long[] {0, 0, 0};
    };
  }

  /** An address (or index) near an edge of {@code [0, size)} for an access of {@code width}. */
  private static long address(SplittableRandom r, long size, int width) {
    return switch (r.nextInt(11)) {
      case 0 -> 0;
      case 1 -> r.nextInt(16);
      case 2 -> size - width;
      case 3 -> size - width - r.nextInt(4);
      case 4 -> size - width + 1 + r.nextInt(Math.max(1, width));
      case 5 -> size;
      case 6 -> size + 1 + r.nextInt(8);
      case 7 -> (1 + r.nextInt(4)) * (long) PAGE - width / 2 - r.nextInt(2);
      case 8 -> 0xffff_ffffL - r.nextInt(8);
      case 9 -> 0x8000_0000L + r.nextInt(4) - 2;
      default -> size <= 0 ? 0 : r.nextLong(size);
    };
  }

  /** A length from {@code start}: zero, small, to the end, one past it, or huge. */
  private static long length(SplittableRandom r, long size, long start) {
    return switch (r.nextInt(8)) {
      case 0 -> 0;
      case 1 -> 1;
      case 2 -> 1 + r.nextInt(64);
      case 3 -> size - start;
      case 4 -> size - start + 1;
      case 5 -> size <= 0 ? 0 : r.nextLong(size);
      case 6 -> 0xffff_ffffL;
      default -> PAGE;
    };
  }

  /** Random bits, or NaN patterns that a float conversion would disturb. */
  private static long value(SplittableRandom r) {
    return switch (r.nextInt(6)) {
      case 0 -> 0x7fa0_0001L; // f32 signalling NaN
      case 1 -> 0x7ff4_0000_0000_0001L; // f64 signalling NaN
      case 2 -> 0xffc0_0000_ffff_ffffL;
      case 3 -> -1;
      default -> r.nextLong();
    };
  }

  private static long pick(SplittableRandom r, long... choices) {
    return choices[r.nextInt(choices.length)];
  }
}
