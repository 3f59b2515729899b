package dev.wasmpool.bench;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The state of the benchmarks over the {@code medium} {@link ModuleShape}: the compared memory
 * ({@code @Param}) and its {@link Subject}, loaded once per trial and closed after it.
 */
// JMH sets the @Param field, and @Setup the subject, before any benchmark method runs.
@SuppressWarnings({"initialization.field.uninitialized", "initialization.fields.uninitialized"})
@State(Scope.Benchmark)
public abstract class MediumModuleState {

  /** The compared memory; see {@link Subject}. */
  @Param({"pooled-linux", "pooled-portable", "chicory-bytebuffer", "chicory-bytearray"})
  public String memory;

  /** The module loaded for {@link #memory}. */
  protected Subject subject;

  /** Creates the state; JMH fills it in. */
  protected MediumModuleState() {}

  /** Loads the module for the memory, once for all threads. */
  @Setup(Level.Trial)
  public void setUp() {
    subject = Subject.open(memory, ModuleShape.MEDIUM.wasm(), false);
  }

  /** Closes the engine. */
  @TearDown(Level.Trial)
  public void tearDown() {
    subject.close();
  }
}
