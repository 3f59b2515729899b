package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.Store;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.InvalidException;
import com.dylibso.chicory.wasm.MalformedException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.UninstantiableException;
import com.dylibso.chicory.wasm.UnlinkableException;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ValType;
import dev.wasmpool.testkit.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one wast2json script (the {@code .json} file and the {@code .wasm} files beside it) through
 * Chicory's interpreter and records one normalized outcome per command, so two runs that differ
 * only in how memories are made can be compared command by command.
 *
 * <p>An outcome is {@code "ok"}, the raw bits of the returned values, or the class and message of
 * what was thrown. Whether the outcome is what the script expects is recorded too, for information.
 */
final class WastScript {

  /** How one run makes its memories and instances. */
  interface Runtime extends AutoCloseable {

    /**
     * Instantiates a module with the given imports, making its defined memories this run's way.
     *
     * @param module the parsed module
     * @param imports the imports (spectest and registered instances)
     * @return the instance
     */
    Instance instantiate(WasmModule module, ImportValues imports);

    /**
     * The memory the spectest module exports: limits 1..2.
     *
     * @return a fresh memory
     */
    Memory spectestMemory();

    /** Releases everything the run allocated. */
    @Override
    void close();
  }

  /**
   * The outcome of one command.
   *
   * @param where file and line
   * @param type the command type
   * @param actual the normalized outcome
   * @param expected whether it is what the script expects
   */
  record Outcome(String where, String type, String actual, boolean expected) {

    /** The prefix of every out-of-bounds message; what follows it is detail. */
    private static final String OUT_OF_BOUNDS = "out of bounds memory access";

    /**
     * The outcome compared between runs: out-of-bounds messages reduced to their category, since
     * the address Chicory's paged memories report for an access that straddles the end is the
     * first byte past it (their byte-by-byte slow path), while a flat memory reports the access.
     *
     * @return the normalized outcome
     */
    String category() {
      int at = actual.indexOf(": " + OUT_OF_BOUNDS);
      return at < 0 ? actual : actual.substring(0, at + 2 + OUT_OF_BOUNDS.length());
    }
  }

  private final Path json;
  private final Path dir;
  private final List<Map<String, Object>> commands;

  private WastScript(Path json, List<Map<String, Object>> commands) {
    this.json = json;
    this.dir = json.getParent();
    this.commands = commands;
  }

  @SuppressWarnings("unchecked")
  static WastScript load(Path json) {
    try {
      Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(json));
      return new WastScript(json, (List<Map<String, Object>>) root.get("commands"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int commandCount() {
    return commands.size();
  }

  long moduleCount() {
    return commands.stream().filter(c -> "module".equals(c.get("type"))).count();
  }

  /**
   * Runs every command in order.
   *
   * @param runtime how to make instances; closed by the caller
   * @return one outcome per command
   */
  List<Outcome> run(Runtime runtime) {
    Store store = new Store().addImportValues(Spectest.imports(runtime.spectestMemory()));
    Map<String, Instance> named = new HashMap<>();
    Instance current = null;
    List<Outcome> outcomes = new ArrayList<>(commands.size());
    for (Map<String, Object> cmd : commands) {
      String type = (String) cmd.get("type");
      String where = json.getFileName() + ":" + cmd.get("line");
      String actual;
      boolean expected;
      switch (type) {
        case "module" -> {
          try {
            current = runtime.instantiate(parse((String) cmd.get("filename")), store.toImportValues());
            actual = "ok";
          } catch (Exception | StackOverflowError e) {
            current = null;
            actual = describe(e);
          }
          if (cmd.get("name") instanceof String name) {
            if (current == null) {
              named.remove(name);
            } else {
              named.put(name, current);
            }
          }
          expected = actual.equals("ok");
        }
        case "register" -> {
          Instance target = cmd.get("name") instanceof String name ? named.get(name) : current;
          try {
            store.register((String) cmd.get("as"), target);
            actual = "ok";
          } catch (Exception e) {
            actual = describe(e);
          }
          expected = actual.equals("ok");
        }
        case "action", "assert_return", "assert_trap", "assert_exhaustion" -> {
          @SuppressWarnings("unchecked")
          Map<String, Object> action = (Map<String, Object>) cmd.get("action");
          Instance target =
              action.get("module") instanceof String name ? named.get(name) : current;
          long[] result = null;
          Throwable failure = null;
          try {
            result = perform(target, action);
          } catch (Exception | StackOverflowError e) {
            failure = e;
          }
          actual =
              failure != null
                  ? describe(failure)
                  : values(result, type.equals("assert_return") ? expectedValues(cmd) : List.of());
          expected =
              switch (type) {
                case "assert_return" -> failure == null && matches(expectedValues(cmd), result);
                case "action" -> failure == null;
                case "assert_trap" ->
                    failure instanceof ChicoryException
                        && String.valueOf(failure.getMessage()).contains((String) cmd.get("text"));
                default -> failure instanceof ChicoryException;
              };
        }
        case "assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable" -> {
          Throwable failure = null;
          try {
            runtime.instantiate(parse((String) cmd.get("filename")), store.toImportValues());
          } catch (Exception | StackOverflowError e) {
            failure = e;
          }
          actual = failure == null ? "ok" : describe(failure);
          Class<?> wanted =
              switch (type) {
                case "assert_invalid" -> InvalidException.class;
                case "assert_malformed" -> MalformedException.class;
                case "assert_unlinkable" -> UnlinkableException.class;
                default -> UninstantiableException.class;
              };
          expected = wanted.isInstance(failure);
        }
        default -> {
          actual = "unsupported command " + type;
          expected = false;
        }
      }
      outcomes.add(new Outcome(where, type, actual, expected));
    }
    return outcomes;
  }

  private WasmModule parse(String filename) {
    if (!filename.endsWith(".wasm")) {
      // Chicory's runtime has no text-format parser; both runs fail the same way.
      throw new MalformedException("text module " + filename + " not parsed");
    }
    return Parser.parse(dir.resolve(filename));
  }

  @SuppressWarnings("unchecked")
  private static long[] perform(Instance target, Map<String, Object> action) {
    if (target == null) {
      throw new IllegalStateException("no instance");
    }
    String field = (String) action.get("field");
    if ("get".equals(action.get("type"))) {
      GlobalInstance global = target.exports().global(field);
      return global.getType() == ValType.V128
          ? new long[] {global.getValueLow(), global.getValueHigh()}
          : new long[] {global.getValue()};
    }
    ExportFunction function = target.export(field);
    long[] result = function.apply(arguments((List<Map<String, Object>>) action.get("args")));
    return result == null ? new long[0] : result; // Chicory returns null for no results

  }

  private static String describe(Throwable e) {
    return e.getClass().getName() + ": " + e.getMessage();
  }

  /**
   * Returned values as raw bits, except a NaN where the script accepts any NaN of a kind ({@code
   * nan:canonical}, {@code nan:arithmetic}) and gets one: that shows as the kind, because which NaN
   * an operation on two NaNs returns changes with the JIT's operand order, run to run.
   */
  private static String values(long[] result, List<Map<String, Object>> expected) {
    List<String> shown = new ArrayList<>();
    int i = 0;
    for (Map<String, Object> e : expected) {
      String type = (String) e.get("type");
      if (i >= result.length) {
        break;
      }
      if (type.equals("v128")) {
        shown.add(Long.toHexString(result[i++]));
        if (i < result.length) {
          shown.add(Long.toHexString(result[i++]));
        }
        continue;
      }
      long bits = result[i++];
      boolean nanOfKind =
          e.get("value") instanceof String want
              && want.startsWith("nan:")
              && (type.equals("f32") ? floatMatches(want, (int) bits) : doubleMatches(want, bits));
      shown.add(nanOfKind ? (String) e.get("value") : Long.toHexString(bits));
    }
    while (i < result.length) {
      shown.add(Long.toHexString(result[i++]));
    }
    return shown.toString();
  }

  // ---- values ---------------------------------------------------------------------------------

  private static long[] arguments(List<Map<String, Object>> args) {
    List<Long> out = new ArrayList<>();
    for (Map<String, Object> arg : args) {
      String type = (String) arg.get("type");
      if (type.equals("v128")) {
        long[] v = vector(arg);
        out.add(v[0]);
        out.add(v[1]);
      } else {
        out.add(scalar(type, (String) arg.get("value")));
      }
    }
    long[] result = new long[out.size()];
    for (int i = 0; i < result.length; i++) {
      result[i] = out.get(i);
    }
    return result;
  }

  /** A scalar as Chicory passes it: i32 and f32 bits sign-extended, references as indices. */
  private static long scalar(String type, String value) {
    return switch (type) {
      case "i32", "f32" -> (int) Long.parseUnsignedLong(value);
      case "i64", "f64" -> Long.parseUnsignedLong(value);
      default -> value == null || value.equals("null") ? -1 : Long.parseLong(value);
    };
  }

  @SuppressWarnings("unchecked")
  private static long[] vector(Map<String, Object> value) {
    List<String> lanes = (List<String>) value.get("value");
    ByteBuffer bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    for (String lane : lanes) {
      long bits = lane.startsWith("nan") ? nanBits((String) value.get("lane_type")) : Long.parseUnsignedLong(lane);
      switch ((String) value.get("lane_type")) {
        case "i8" -> bytes.put((byte) bits);
        case "i16" -> bytes.putShort((short) bits);
        case "i32", "f32" -> bytes.putInt((int) bits);
        default -> bytes.putLong(bits);
      }
    }
    bytes.flip();
    return new long[] {bytes.getLong(), bytes.getLong()};
  }

  private static long nanBits(String laneType) {
    return laneType.equals("f32") ? 0x7fc00000L : 0x7ff8000000000000L;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> expectedValues(Map<String, Object> cmd) {
    return (List<Map<String, Object>>) cmd.get("expected");
  }

  @SuppressWarnings("unchecked")
  private static boolean matches(List<Map<String, Object>> expected, long[] result) {
    int at = 0;
    for (Map<String, Object> e : expected) {
      String type = (String) e.get("type");
      if (type.equals("v128")) {
        if (at + 2 > result.length) {
          return false;
        }
        if (!vectorMatches(e, result[at], result[at + 1])) {
          return false;
        }
        at += 2;
        continue;
      }
      if (at >= result.length) {
        return false;
      }
      long actual = result[at++];
      Object raw = e.get("value");
      String value = raw instanceof String s ? s : null;
      boolean ok =
          switch (type) {
            case "i32" -> (int) actual == (int) Long.parseUnsignedLong(value);
            case "i64" -> actual == Long.parseUnsignedLong(value);
            case "f32" -> floatMatches(value, (int) actual);
            case "f64" -> doubleMatches(value, actual);
            default ->
                value == null
                    ? actual != -1
                    : value.equals("null") ? actual == -1 : actual == Long.parseLong(value);
          };
      if (!ok) {
        return false;
      }
    }
    return at == result.length;
  }

  @SuppressWarnings("unchecked")
  private static boolean vectorMatches(Map<String, Object> e, long low, long high) {
    ByteBuffer bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    bytes.putLong(low).putLong(high).flip();
    String laneType = (String) e.get("lane_type");
    for (String lane : (List<String>) e.get("value")) {
      boolean ok =
          switch (laneType) {
            case "i8" -> bytes.get() == (byte) Long.parseUnsignedLong(lane);
            case "i16" -> bytes.getShort() == (short) Long.parseUnsignedLong(lane);
            case "i32" -> bytes.getInt() == (int) Long.parseUnsignedLong(lane);
            case "f32" -> floatMatches(lane, bytes.getInt());
            case "f64" -> doubleMatches(lane, bytes.getLong());
            default -> bytes.getLong() == Long.parseUnsignedLong(lane);
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean floatMatches(String expected, int bits) {
    return switch (expected) {
      case "nan:canonical" -> (bits & 0x7fffffff) == 0x7fc00000;
      case "nan:arithmetic" -> (bits & 0x7fc00000) == 0x7fc00000;
      default -> bits == (int) Long.parseUnsignedLong(expected);
    };
  }

  private static boolean doubleMatches(String expected, long bits) {
    return switch (expected) {
      case "nan:canonical" -> (bits & 0x7fffffffffffffffL) == 0x7ff8000000000000L;
      case "nan:arithmetic" -> (bits & 0x7ff8000000000000L) == 0x7ff8000000000000L;
      default -> bits == Long.parseUnsignedLong(expected);
    };
  }
}
