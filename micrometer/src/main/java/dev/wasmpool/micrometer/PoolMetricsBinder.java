package dev.wasmpool.micrometer;

import dev.wasmpool.api.Engine;
import dev.wasmpool.api.PoolMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Registers an engine's pool metrics with a Micrometer registry: one meter per component of {@link
 * PoolMetrics}, read from a fresh {@link Engine#metrics()} snapshot whenever the registry reads it.
 *
 * <pre>{@code
 * new PoolMetricsBinder(engine, Tags.of("pool", "plugins")).bindTo(registry);
 * }</pre>
 *
 * <p>Meters: the name is {@code wasmpool.} followed by the component's words in lower case,
 * separated by dots ({@code unusedWarmMemories} becomes {@code wasmpool.unused.warm.memories}); a
 * component whose name contains {@code Bytes} has the base unit {@code bytes}. Live and unused
 * counts, which go up and down, are {@link Gauge}s; every other component is a cumulative count
 * since the engine was created and is a {@link FunctionCounter}. The meters follow {@link
 * PoolMetrics}: a component added there gets its meter without a change here.
 *
 * <p>The meters hold the engine weakly, as Micrometer's gauges do: once the engine is unreachable
 * they read {@code NaN}. Remove them from the registry when the engine is closed.
 *
 * <p>Thread-safe: binding and reading may happen on any thread.
 */
public final class PoolMetricsBinder implements MeterBinder {

  /** The prefix of every meter's name. */
  public static final String PREFIX = "wasmpool.";

  /**
   * The components that are levels (they go up and down), registered as gauges; every other one
   * is cumulative.
   */
  static final Set<String> GAUGES =
      Set.of(
          "coreInstances",
          "componentInstances",
          "memories",
          "tables",
          "stacks",
          "gcHeaps",
          "unusedWarmMemories",
          "unusedWarmTables",
          "unusedWarmStacks",
          "unusedMemoryBytesResident",
          "unusedTableBytesResident",
          "unusedStackBytesResident",
          "pendingResets");

  private final Engine engine;
  private final Tags tags;

  /**
   * A binder for one engine.
   *
   * @param engine the engine whose pools to watch
   * @param tags tags added to every meter (for example the engine's role), may be empty
   * @throws NullPointerException if an argument is {@code null}
   */
  public PoolMetricsBinder(Engine engine, Iterable<Tag> tags) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
  }

  /**
   * A binder for one engine, without tags.
   *
   * @param engine the engine whose pools to watch
   * @throws NullPointerException if {@code engine} is {@code null}
   */
  public PoolMetricsBinder(Engine engine) {
    this(engine, Tags.empty());
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    for (Component component : components()) {
      if (component.gauge()) {
        Gauge.builder(component.meterName(), engine, component.reader())
            .tags(tags)
            .baseUnit(component.baseUnit())
            .description(component.description())
            .register(registry);
      } else {
        FunctionCounter.builder(component.meterName(), engine, component.reader())
            .tags(tags)
            .baseUnit(component.baseUnit())
            .description(component.description())
            .register(registry);
      }
    }
  }

  /**
   * The numeric components of {@link PoolMetrics}, in declaration order.
   *
   * @return one entry per meter
   */
  static List<Component> components() {
    List<Component> out = new ArrayList<>();
    for (RecordComponent rc : PoolMetrics.class.getRecordComponents()) {
      Class<?> type = rc.getType();
      if (type == int.class || type == long.class) {
        out.add(new Component(rc.getName(), null, rc.getAccessor(), GAUGES.contains(rc.getName())));
      } else if (type == PoolMetrics.Counters.class) {
        // The activity counters: one meter each, named without the "counters" level.
        for (RecordComponent inner : PoolMetrics.Counters.class.getRecordComponents()) {
          out.add(new Component(inner.getName(), rc.getAccessor(), inner.getAccessor(), GAUGES.contains(inner.getName())));
        }
      }
    }
    return out;
  }

  /**
   * One component and its meter.
   *
   * @param name the component's name, for example {@code unusedWarmMemories}
   * @param group the accessor of the record holding it ({@link PoolMetrics#counters()}), or
   *     {@code null} for a component of {@link PoolMetrics} itself
   * @param accessor its accessor
   * @param gauge whether it is a level rather than a cumulative count
   */
  record Component(String name, @Nullable Method group, Method accessor, boolean gauge) {

    /** The meter's name, for example {@code wasmpool.unused.warm.memories}. */
    String meterName() {
      return PREFIX + name.replaceAll("([a-z0-9])([A-Z])", "$1.$2").toLowerCase(Locale.ROOT);
    }

    /** {@code bytes} for a size, otherwise {@code null} (a count has no unit). */
    @Nullable String baseUnit() {
      return name.contains("Bytes") ? "bytes" : null;
    }

    String description() {
      return (gauge ? "" : "cumulative: ")
          + "PoolMetrics."
          + (group != null ? group.getName() + "()." : "")
          + name
          + "() of the engine";
    }

    /** Reads the component from a fresh snapshot. */
    ToDoubleFunction<Engine> reader() {
      return engine -> {
        try {
          // An int or long component: boxed, never null.
          Object holder = engine.metrics();
          if (group != null) {
            Object inner = group.invoke(holder);
            if (inner == null) {
              return Double.NaN;
            }
            holder = inner;
          }
          Object value = accessor.invoke(holder);
          return value instanceof Number number ? number.doubleValue() : Double.NaN;
        } catch (IllegalAccessException | InvocationTargetException e) {
          throw new IllegalStateException("cannot read PoolMetrics." + name + "()", e);
        }
      };
    }
  }
}
