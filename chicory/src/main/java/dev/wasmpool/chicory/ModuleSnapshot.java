package dev.wasmpool.chicory;

import com.dylibso.chicory.runtime.CompiledModule;
import com.dylibso.chicory.runtime.GlobalInstance;
import com.dylibso.chicory.runtime.ImportMemory;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.ActiveElement;
import com.dylibso.chicory.wasm.types.CustomSection;
import com.dylibso.chicory.wasm.types.DataCountSection;
import com.dylibso.chicory.wasm.types.DataSection;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.DeclarativeElement;
import com.dylibso.chicory.wasm.types.Element;
import com.dylibso.chicory.wasm.types.ElementSection;
import com.dylibso.chicory.wasm.types.Global;
import com.dylibso.chicory.wasm.types.GlobalImport;
import com.dylibso.chicory.wasm.types.GlobalSection;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.ImportSection;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryImport;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.MemorySection;
import com.dylibso.chicory.wasm.types.MutabilityType;
import com.dylibso.chicory.wasm.types.OpCode;
import com.dylibso.chicory.wasm.types.PassiveDataSegment;
import com.dylibso.chicory.wasm.types.Table;
import com.dylibso.chicory.wasm.types.TableImport;
import com.dylibso.chicory.wasm.types.TableLimits;
import com.dylibso.chicory.wasm.types.TableSection;
import com.dylibso.chicory.wasm.types.ValType;
import com.dylibso.chicory.wasm.types.Value;
import dev.wasmpool.api.ModuleValidationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A module's state after its initialisation, written back as a module, as Wizer does for Wasmtime:
 * every instance of the written module starts where the initialised one stopped, without running
 * the start function or the data and element initialisation again.
 *
 * <p>What the written module holds, section by section (the code, types, exports and tags are the
 * original ones, so compiled code and indices stay valid):
 *
 * <ul>
 *   <li><b>Memories</b>, defined and imported: the initial size is the size after initialisation
 *       ({@code memory.grow} included), the maximum the declared one, and one active data segment
 *       per memory holds its contents from the first to the last non-zero byte. The engine makes
 *       that segment the memory's copy-on-write image like any other data.
 *   <li><b>Globals</b>: a mutable global's initialiser is the constant of its value after
 *       initialisation ({@code i32}, {@code i64}, {@code f32}, {@code f64} and {@code v128} bits;
 *       {@code ref.null}, {@code ref.func} of the module's own function index, or {@code ref.i31});
 *       an immutable global keeps its initialiser, which gives the same value again.
 *   <li><b>Tables</b>: the initial size is the size after initialisation, and one active element
 *       segment per table writes every element ({@code ref.func} or {@code ref.null}).
 *   <li><b>Segments</b> keep their indices: a data segment that is still there becomes passive with
 *       its bytes (Chicory lets {@code memory.init} read an active segment after instantiation, so
 *       its bytes stay readable), a dropped one becomes empty; an active element segment, or one
 *       that was dropped, becomes declarative (which {@code table.init} treats as dropped, as Chicory
 *       treats an active one), and a passive one still there stays as it is.
 *   <li><b>No start function.</b>
 * </ul>
 *
 * <p>Refused, because the snapshot could not stand for them: imported globals and tables (their
 * values belong to the host and may differ per instance; {@link #checkImports}), and, after
 * initialisation, a reference that is not to one of the module's own functions: an {@code
 * externref} or GC reference in a global or table, or a table element owned by another instance
 * ({@link IllegalStateException}). An imported memory is captured like a defined one: the template
 * gets it fresh from the pool, so its contents are the module's own.
 *
 * <p>Stateless; the capture reads the template instance, which must not run meanwhile.
 */
final class ModuleSnapshot {

  private static final Instruction END = new Instruction(-1, OpCode.END, Instruction.EMPTY_OPERANDS);

  private ModuleSnapshot() {}

  /**
   * Refuses a module whose imports a snapshot cannot stand for: globals and tables.
   *
   * @param name the module's name, for the message
   * @param module the module
   * @throws ModuleValidationException naming the first such import
   */
  static void checkImports(String name, WasmModule module) {
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imported = module.importSection().getImport(i);
      String what;
      if (imported instanceof GlobalImport) {
        what = "global";
      } else if (imported instanceof TableImport) {
        what = "table";
      } else {
        continue;
      }
      throw new ModuleValidationException(
          List.of(
              "module " + name + " cannot be preinitialized",
              "it imports " + what + " " + imported.module() + "." + imported.name()
                  + ", whose contents belong to the host and may differ per instance, so a snapshot"
                  + " cannot hold them"));
    }
  }

  /**
   * The imports of the template instance: the caller's, with the template's imported memories
   * from the pool.
   *
   * @param name the module's name, for the message
   * @param module the module
   * @param imports the caller's imports, or {@code null}
   * @param memories the template's imported memories
   * @return the imports
   * @throws IllegalArgumentException if the caller's imports provide a memory the module imports
   */
  static ImportValues templateImports(
      String name, WasmModule module, @Nullable ImportValues imports, List<ImportedMemory> memories) {
    ImportValues given = imports == null ? ImportValues.empty() : imports;
    for (ImportMemory memory : given.memories()) {
      boolean imported =
          module.importSection().stream()
              .anyMatch(i -> i instanceof MemoryImport && i.module().equals(memory.module()) && i.name().equals(memory.name()));
      if (imported) {
        throw new IllegalArgumentException(
            "preinitialize of module " + name + ": the imports must not provide memory " + memory.module() + "."
                + memory.name() + "; the initialisation gets every imported memory fresh from the pool,"
                + " so that the snapshot holds only the module's own state");
      }
    }
    return ImportValues.builder()
        .addFunction(given.functions())
        .addGlobal(given.globals())
        .addTable(given.tables())
        .addTag(given.tags())
        .addMemory(given.memories())
        .addMemory(memories.stream().map(ImportedMemory::importMemory).toArray(ImportMemory[]::new))
        .build();
  }

  /**
   * The machine factory for the snapshot's instances. Chicory's runtime compiler hands out a
   * factory that accepts only instances of the module object it compiled; its code does not
   * depend on what the snapshot rewrites (sizes, initialisers, segments, the start function), so
   * the snapshot's instances run the same code through the factory within.
   *
   * @param machines the factory of the original module's instances
   * @return the factory for the snapshot's
   */
  static Function<Instance, Machine> machinesFor(Function<Instance, Machine> machines) {
    return machines instanceof CompiledModule compiled ? compiled.machineFactory() : machines;
  }

  /**
   * Writes the state of an initialised instance back as a module.
   *
   * @param name the module's name, for messages
   * @param module the instance's module
   * @param template the initialised instance
   * @return the snapshot module
   * @throws IllegalStateException if a global or table holds a reference the snapshot cannot hold
   */
  static WasmModule capture(String name, WasmModule module, Instance template) {
    int importedMemories = module.importSection().count(com.dylibso.chicory.wasm.types.ExternalType.MEMORY);
    List<DataSegment> contents = new ArrayList<>();
    int[] pages = new int[importedMemories + module.memorySection().map(MemorySection::memoryCount).orElse(0)];
    for (int m = 0; m < pages.length; m++) {
      Memory memory = template.memory(m);
      pages[m] = memory.pages();
      DataSegment segment = contents(m, memory);
      if (segment != null) {
        contents.add(segment);
      }
    }

    WasmModule.Builder snapshot =
        WasmModule.builder()
            .setTypeSection(module.typeSection())
            .setImportSection(imports(module, pages))
            .setFunctionSection(module.functionSection())
            .setTableSection(tables(module, template))
            .setGlobalSection(globals(name, module, template))
            .setExportSection(module.exportSection())
            .setElementSection(elements(name, module, template))
            .setCodeSection(module.codeSection())
            // The original passed Chicory's validation; the rewrite keeps every index and type.
            .withValidation(false);
    module.memorySection().ifPresent(declared -> snapshot.setMemorySection(memories(declared, pages, importedMemories)));
    module.tagSection().ifPresent(snapshot::setTagSection);
    DataSection data = data(module, template, contents);
    snapshot.setDataSection(data);
    if (module.dataCountSection().isPresent()) {
      snapshot.setDataCountSection(DataCountSection.builder().withDataCount(data.dataSegmentCount()).build());
    }
    for (CustomSection custom : module.customSections()) {
      snapshot.addCustomSection(custom.name(), custom);
    }
    for (int id : module.ignoredSections()) {
      snapshot.addIgnoredSection(id);
    }
    return snapshot.build();
  }

  // ---- memories -------------------------------------------------------------------------------

  /** Memory {@code m}'s bytes from its first to its last non-zero byte, or {@code null} if all zero. */
  private static @Nullable DataSegment contents(int m, Memory memory) {
    int first = -1;
    int last = -1;
    for (int page = 0; page < memory.pages(); page++) {
      if (!isZero(memory.readBytes(page * Memory.PAGE_SIZE, Memory.PAGE_SIZE))) {
        first = first < 0 ? page : first;
        last = page;
      }
    }
    if (first < 0) {
      return null;
    }
    int base = first * Memory.PAGE_SIZE;
    byte[] span = memory.readBytes(base, (last - first + 1) * Memory.PAGE_SIZE);
    int from = 0;
    while (span[from] == 0) {
      from++;
    }
    int to = span.length;
    while (span[to - 1] == 0) {
      to--;
    }
    return new ActiveDataSegment(m, List.of(i32Const(base + from), END), Arrays.copyOfRange(span, from, to));
  }

  private static boolean isZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private static MemoryLimits grown(MemoryLimits declared, int pages) {
    return new MemoryLimits(pages, declared.maximumPages(), declared.shared());
  }

  private static ImportSection imports(WasmModule module, int[] pages) {
    ImportSection.Builder imports = ImportSection.builder();
    int memory = 0;
    for (int i = 0; i < module.importSection().importCount(); i++) {
      Import imported = module.importSection().getImport(i);
      if (imported instanceof MemoryImport m) {
        imported = new MemoryImport(m.module(), m.name(), grown(m.limits(), pages[memory++]));
      }
      imports.addImport(imported);
    }
    return imports.build();
  }

  private static MemorySection memories(MemorySection declared, int[] pages, int importedMemories) {
    MemorySection.Builder memories = MemorySection.builder();
    for (int i = 0; i < declared.memoryCount(); i++) {
      memories.addMemory(
          new com.dylibso.chicory.wasm.types.Memory(
              grown(declared.getMemory(i).limits(), pages[importedMemories + i])));
    }
    return memories.build();
  }

  // ---- globals --------------------------------------------------------------------------------

  private static GlobalSection globals(String name, WasmModule module, Instance template) {
    GlobalSection.Builder globals = GlobalSection.builder();
    Global[] declared = module.globalSection().globals();
    for (int i = 0; i < declared.length; i++) {
      Global global = declared[i];
      GlobalInstance value = template.global(i);
      ValType type = global.valueType();
      if (type.isReference() && value.getValueLow() != Value.REF_NULL_VALUE && !capturable(module, type, value)) {
        throw new IllegalStateException(
            "module " + name + " cannot be preinitialized: after initialisation global " + i + ", of type "
                + typeName(type) + ", holds a reference that is not to one of the module's functions (a host or GC"
                + " reference), which a snapshot cannot hold");
      }
      globals.addGlobal(
          global.mutabilityType() == MutabilityType.Const
              ? global
              : new Global(type, global.mutabilityType(), constant(type, value.getValueLow(), value.getValueHigh())));
    }
    return globals.build();
  }

  /** Whether a non-null reference in a global can be written as a constant of this module. */
  private static boolean capturable(WasmModule module, ValType type, GlobalInstance value) {
    if (isFunctionReference(module, type)) {
      return true;
    }
    // An i31 is a value, not an object: ref.i31 makes it again.
    return Value.isI31(value.getValueLow());
  }

  /** The constant expression of a value: the bits of a number or vector, or a reference. */
  private static List<Instruction> constant(ValType type, long low, long high) {
    Instruction value;
    switch (type.opcode()) {
      case ValType.ID.I32 -> value = i32Const(low);
      case ValType.ID.I64 -> value = new Instruction(-1, OpCode.I64_CONST, new long[] {low});
      case ValType.ID.F32 -> value = new Instruction(-1, OpCode.F32_CONST, new long[] {low});
      case ValType.ID.F64 -> value = new Instruction(-1, OpCode.F64_CONST, new long[] {low});
      case ValType.ID.V128 -> value = new Instruction(-1, OpCode.V128_CONST, new long[] {low, high});
      default -> {
        if (low == Value.REF_NULL_VALUE) {
          value = new Instruction(-1, OpCode.REF_NULL, new long[] {type.typeIdx()});
        } else if (Value.isI31(low)) {
          return List.of(i32Const(Value.decodeI31U(low)), new Instruction(-1, OpCode.REF_I31, Instruction.EMPTY_OPERANDS), END);
        } else {
          value = new Instruction(-1, OpCode.REF_FUNC, new long[] {low});
        }
      }
    }
    return List.of(value, END);
  }

  private static Instruction i32Const(long value) {
    return new Instruction(-1, OpCode.I32_CONST, new long[] {value});
  }

  /** Whether a reference type's values are functions (func, nofunc, or a concrete function type). */
  private static boolean isFunctionReference(WasmModule module, ValType type) {
    return ValType.heapTypeSubtype(type.typeIdx(), ValType.TypeIdxCode.FUNC.code(), module.typeSection());
  }

  /** A reference type as the text format writes it, for messages: {@code (ref null extern)}. */
  private static String typeName(ValType type) {
    String heap = String.valueOf(type.typeIdx());
    for (ValType.TypeIdxCode code : ValType.TypeIdxCode.values()) {
      if (code.code() == type.typeIdx()) {
        heap = code.name().toLowerCase(Locale.ROOT);
      }
    }
    return "(ref " + (type.opcode() == ValType.ID.RefNull ? "null " : "") + heap + ")";
  }

  // ---- tables and element segments ------------------------------------------------------------

  private static TableSection tables(WasmModule module, Instance template) {
    TableSection.Builder tables = TableSection.builder();
    for (int t = 0; t < module.tableSection().tableCount(); t++) {
      Table declared = module.tableSection().getTable(t);
      tables.addTable(
          new Table(
              declared.elementType(),
              new TableLimits(template.table(t).size(), declared.limits().max()),
              declared.initialize()));
    }
    return tables.build();
  }

  private static ElementSection elements(String name, WasmModule module, Instance template) {
    ElementSection.Builder elements = ElementSection.builder();
    Element[] declared = module.elementSection().elements();
    for (int i = 0; i < declared.length; i++) {
      Element segment = declared[i];
      boolean dropped = template.element(i) == null;
      elements.addElement(
          dropped || segment instanceof ActiveElement
              ? new DeclarativeElement(segment.type(), dropped ? List.of() : segment.initializers())
              : segment);
    }
    for (int t = 0; t < module.tableSection().tableCount(); t++) {
      ValType type = module.tableSection().getTable(t).elementType();
      List<List<Instruction>> contents = tableContents(name, module, template, t, type);
      if (!contents.isEmpty()) {
        elements.addElement(new ActiveElement(type, contents, t, List.of(i32Const(0), END)));
      }
    }
    return elements.build();
  }

  /** One initialiser per element of defined table {@code t}, each a reference of the module's. */
  private static List<List<Instruction>> tableContents(
      String name, WasmModule module, Instance template, int t, ValType type) {
    TableInstance table = template.table(t);
    boolean functions = isFunctionReference(module, type);
    List<List<Instruction>> contents = new ArrayList<>(table.size());
    for (int e = 0; e < table.size(); e++) {
      int ref = table.ref(e);
      if (ref == Value.REF_NULL_VALUE) {
        contents.add(constant(type, ref, 0));
        continue;
      }
      Instance owner = table.instance(e);
      if (!functions || (owner != null && owner != template)) {
        throw new IllegalStateException(
            "module " + name + " cannot be preinitialized: after initialisation element " + e + " of table " + t
                + ", of type " + typeName(type) + ", holds "
                + (functions ? "a function of another instance" : "a host or GC reference")
                + ", which a snapshot cannot hold");
      }
      contents.add(constant(type, ref, 0));
    }
    return contents;
  }

  // ---- data segments --------------------------------------------------------------------------

  private static DataSection data(WasmModule module, Instance template, List<DataSegment> contents) {
    DataSection.Builder data = DataSection.builder();
    DataSegment[] declared = module.dataSection().dataSegments();
    // The template may be built from a copy without the segments no instruction names
    // (InstantiableModule): nothing can read or drop those, so they stay as empty placeholders.
    int named = template.module().dataSection().dataSegmentCount();
    for (int i = 0; i < declared.length; i++) {
      byte[] now = i < named ? template.dataSegmentData(i) : PassiveDataSegment.EMPTY.data();
      if (now.length == 0) {
        data.addDataSegment(PassiveDataSegment.EMPTY);
      } else if (declared[i] instanceof ActiveDataSegment) {
        data.addDataSegment(new PassiveDataSegment(now));
      } else {
        data.addDataSegment(declared[i]);
      }
    }
    contents.forEach(data::addDataSegment);
    return data.build();
  }
}
