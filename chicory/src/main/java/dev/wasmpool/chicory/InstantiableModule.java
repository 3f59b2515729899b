package dev.wasmpool.chicory;

import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.CustomSection;
import com.dylibso.chicory.wasm.types.DataCountSection;
import com.dylibso.chicory.wasm.types.DataSection;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionBody;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.OpCode;

/**
 * The module pooled instances are built from: the loaded module without the data segments that no
 * instruction can name.
 *
 * <p>Chicory's {@code Instance.Builder.build()} copies the module's whole segment list into a new
 * array for every instance (4,000 segments: 16 KiB and most of the instantiation's time), though a
 * pooled memory initialises itself from the load-time plan ({@link DataSegmentCache#plan()}) and
 * reads the array only for {@code memory.init} and {@code data.drop}. Those name segments by index,
 * so the segments after the highest index any function names are left out; the plan still writes
 * the active ones among them. Only a module whose memories are all its own is trimmed: a memory it
 * imports may be the host's own, which Chicory initialises from the array.
 *
 * <p>Every other section is the loaded module's, so functions, types, tables and exports are the
 * same objects; {@code instance.module()} of a pooled instance may be this module rather than
 * {@link PooledWasmModule#wasmModule()}.
 */
final class InstantiableModule {

  private InstantiableModule() {}

  /**
   * The module instances are built from.
   *
   * @param module the loaded module
   * @return {@code module} itself when nothing can be left out, else the trimmed copy
   */
  static WasmModule of(WasmModule module) {
    int segments = module.dataSection().dataSegmentCount();
    if (segments == 0 || module.importSection().count(ExternalType.MEMORY) > 0) {
      return module;
    }
    int kept = highestNamedSegment(module) + 1;
    if (kept >= segments) {
      return module;
    }
    DataSection.Builder data = DataSection.builder();
    for (int i = 0; i < kept; i++) {
      data.addDataSegment(module.dataSection().getDataSegment(i));
    }
    WasmModule.Builder trimmed =
        WasmModule.builder()
            .setTypeSection(module.typeSection())
            .setImportSection(module.importSection())
            .setFunctionSection(module.functionSection())
            .setTableSection(module.tableSection())
            .setGlobalSection(module.globalSection())
            .setExportSection(module.exportSection())
            .setElementSection(module.elementSection())
            .setCodeSection(module.codeSection())
            .setDataSection(data.build())
            .withDigest(module.digest())
            // Validated when loaded; only the counts change, which validateModule still checks.
            .withValidation(false);
    module.memorySection().ifPresent(trimmed::setMemorySection);
    module.startSection().ifPresent(trimmed::setStartSection);
    module.tagSection().ifPresent(trimmed::setTagSection);
    if (module.dataCountSection().isPresent()) {
      trimmed.setDataCountSection(DataCountSection.builder().withDataCount(kept).build());
    }
    for (CustomSection custom : module.customSections()) {
      trimmed.addCustomSection(custom.name(), custom);
    }
    for (int id : module.ignoredSections()) {
      trimmed.addIgnoredSection(id);
    }
    return trimmed.build();
  }

  /** The highest segment index a {@code memory.init} or {@code data.drop} names; -1 if none. */
  private static int highestNamedSegment(WasmModule module) {
    int highest = -1;
    for (FunctionBody body : module.codeSection().functionBodies()) {
      for (Instruction instruction : body.instructions()) {
        OpCode opcode = instruction.opcode();
        if (opcode == OpCode.MEMORY_INIT || opcode == OpCode.DATA_DROP) {
          highest = (int) Math.max(highest, instruction.operand(0));
        }
      }
    }
    return highest;
  }
}
