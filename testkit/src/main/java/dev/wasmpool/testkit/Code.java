package dev.wasmpool.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * The instructions of a function body or of a constant expression, appended in order with their
 * immediates encoded. Named methods cover what wasmpool's tests, benchmarks and samples use;
 * {@link #op(int...)} and {@link #u32(long)} write anything else. Not thread-safe.
 */
public final class Code {

  /** Block type of a block or loop that leaves nothing on the stack. */
  private static final int EMPTY_BLOCK = 0x40;

  /** Prefix of the bulk-memory, table and saturating-conversion instructions. */
  private static final int MISC = 0xfc;

  private final Bytes bytes = new Bytes();
  private final List<Integer> locals = new ArrayList<>();

  /** Starts an empty body. */
  public Code() {}

  /**
   * Declares one more local of the given type (function bodies only), after the parameters.
   *
   * @param valType the type, for example {@link WasmBuilder#I32}
   * @return this
   */
  public Code local(int valType) {
    locals.add(valType);
    return this;
  }

  /**
   * Declares {@code count} more locals of the given type.
   *
   * @param count how many
   * @param valType the type
   * @return this
   */
  public Code locals(int count, int valType) {
    for (int i = 0; i < count; i++) {
      local(valType);
    }
    return this;
  }

  /**
   * Appends raw bytes: opcodes, or immediates that are single bytes.
   *
   * @param opcodes the bytes
   * @return this
   */
  public Code op(int... opcodes) {
    for (int o : opcodes) {
      bytes.u8(o);
    }
    return this;
  }

  /**
   * Appends an unsigned LEB128 immediate.
   *
   * @param value the immediate
   * @return this
   */
  public Code u32(long value) {
    bytes.u32(value);
    return this;
  }

  /**
   * {@code i32.const value}.
   *
   * @param value the constant
   * @return this
   */
  public Code i32Const(int value) {
    bytes.u8(0x41).s64(value);
    return this;
  }

  /**
   * {@code i64.const value}.
   *
   * @param value the constant
   * @return this
   */
  public Code i64Const(long value) {
    bytes.u8(0x42).s64(value);
    return this;
  }

  /**
   * {@code f32.const value}.
   *
   * @param value the constant
   * @return this
   */
  public Code f32Const(float value) {
    int bits = Float.floatToRawIntBits(value);
    return op(0x43, bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, bits >>> 24);
  }

  /**
   * {@code f64.const value}.
   *
   * @param value the constant
   * @return this
   */
  public Code f64Const(double value) {
    op(0x44);
    return littleEndian(Double.doubleToRawLongBits(value));
  }

  /**
   * {@code v128.const}: the low 64 bits, then the high 64 bits, each little-endian.
   *
   * @param low bits 0 to 63
   * @param high bits 64 to 127
   * @return this
   */
  public Code v128Const(long low, long high) {
    op(0xfd).u32(0x0c);
    return littleEndian(low).littleEndian(high);
  }

  private Code littleEndian(long bits) {
    for (int i = 0; i < 8; i++) {
      bytes.u8((int) (bits >>> (8 * i)) & 0xff);
    }
    return this;
  }

  /**
   * {@code local.get index}.
   *
   * @param index the local
   * @return this
   */
  public Code localGet(int index) {
    return op(0x20).u32(index);
  }

  /**
   * {@code local.set index}.
   *
   * @param index the local
   * @return this
   */
  public Code localSet(int index) {
    return op(0x21).u32(index);
  }

  /**
   * {@code local.tee index}.
   *
   * @param index the local
   * @return this
   */
  public Code localTee(int index) {
    return op(0x22).u32(index);
  }

  /**
   * {@code global.get index}.
   *
   * @param index the global
   * @return this
   */
  public Code globalGet(int index) {
    return op(0x23).u32(index);
  }

  /**
   * {@code global.set index}.
   *
   * @param index the global
   * @return this
   */
  public Code globalSet(int index) {
    return op(0x24).u32(index);
  }

  /**
   * {@code call function}.
   *
   * @param function the function index
   * @return this
   */
  public Code call(int function) {
    return op(0x10).u32(function);
  }

  /**
   * {@code call_indirect type table}.
   *
   * @param type the type index
   * @param table the table index
   * @return this
   */
  public Code callIndirect(int type, int table) {
    return op(0x11).u32(type).u32(table);
  }

  /**
   * {@code block} with an empty type.
   *
   * @return this
   */
  public Code block() {
    return op(0x02, EMPTY_BLOCK);
  }

  /**
   * {@code loop} with an empty type.
   *
   * @return this
   */
  public Code loop() {
    return op(0x03, EMPTY_BLOCK);
  }

  /**
   * {@code br depth}.
   *
   * @param depth the label depth
   * @return this
   */
  public Code br(int depth) {
    return op(0x0c).u32(depth);
  }

  /**
   * {@code br_if depth}.
   *
   * @param depth the label depth
   * @return this
   */
  public Code brIf(int depth) {
    return op(0x0d).u32(depth);
  }

  /**
   * A load or store of memory 0.
   *
   * @param opcode the instruction, for example {@code 0x28} for {@code i32.load}
   * @param alignExponent the alignment hint, as a power of two
   * @param offset the static offset, read as unsigned
   * @return this
   */
  public Code memOp(int opcode, int alignExponent, int offset) {
    return op(opcode).u32(alignExponent).u32(Integer.toUnsignedLong(offset));
  }

  /**
   * {@code memory.size} of memory 0.
   *
   * @return this
   */
  public Code memorySize() {
    return op(0x3f, 0x00);
  }

  /**
   * {@code memory.grow} of memory 0.
   *
   * @return this
   */
  public Code memoryGrow() {
    return op(0x40, 0x00);
  }

  /**
   * {@code memory.init segment} into memory 0.
   *
   * @param segment the data segment
   * @return this
   */
  public Code memoryInit(int segment) {
    return op(MISC).u32(8).u32(segment).op(0x00);
  }

  /**
   * {@code data.drop segment}.
   *
   * @param segment the data segment
   * @return this
   */
  public Code dataDrop(int segment) {
    return op(MISC).u32(9).u32(segment);
  }

  /**
   * {@code memory.copy} within memory 0.
   *
   * @return this
   */
  public Code memoryCopy() {
    return op(MISC).u32(10).op(0x00, 0x00);
  }

  /**
   * {@code memory.fill} of memory 0.
   *
   * @return this
   */
  public Code memoryFill() {
    return op(MISC).u32(11).op(0x00);
  }

  /**
   * {@code ref.null refType}.
   *
   * @param refType {@link WasmBuilder#FUNCREF} or {@link WasmBuilder#EXTERNREF}
   * @return this
   */
  public Code refNull(int refType) {
    return op(0xd0, refType);
  }

  /**
   * {@code ref.func function}; the function must be declared by an element segment or export.
   *
   * @param function the function index
   * @return this
   */
  public Code refFunc(int function) {
    return op(0xd2).u32(function);
  }

  /**
   * {@code table.get table}.
   *
   * @param table the table
   * @return this
   */
  public Code tableGet(int table) {
    return op(0x25).u32(table);
  }

  /**
   * {@code table.set table}.
   *
   * @param table the table
   * @return this
   */
  public Code tableSet(int table) {
    return op(0x26).u32(table);
  }

  /**
   * {@code table.init segment table}.
   *
   * @param segment the element segment
   * @param table the table
   * @return this
   */
  public Code tableInit(int segment, int table) {
    return op(MISC).u32(12).u32(segment).u32(table);
  }

  /**
   * {@code elem.drop segment}.
   *
   * @param segment the element segment
   * @return this
   */
  public Code elemDrop(int segment) {
    return op(MISC).u32(13).u32(segment);
  }

  /**
   * {@code table.copy destination source}.
   *
   * @param destination the table written
   * @param source the table read
   * @return this
   */
  public Code tableCopy(int destination, int source) {
    return op(MISC).u32(14).u32(destination).u32(source);
  }

  /**
   * {@code table.grow table}.
   *
   * @param table the table
   * @return this
   */
  public Code tableGrow(int table) {
    return op(MISC).u32(15).u32(table);
  }

  /**
   * {@code table.size table}.
   *
   * @param table the table
   * @return this
   */
  public Code tableSize(int table) {
    return op(MISC).u32(16).u32(table);
  }

  /**
   * {@code table.fill table}.
   *
   * @param table the table
   * @return this
   */
  public Code tableFill(int table) {
    return op(MISC).u32(17).u32(table);
  }

  /**
   * {@code drop}.
   *
   * @return this
   */
  public Code drop() {
    return op(0x1a);
  }

  /**
   * {@code unreachable}.
   *
   * @return this
   */
  public Code unreachable() {
    return op(0x0);
  }

  /**
   * {@code end} of a block, loop or if; the body's own final {@code end} is added by {@link #toBody()}.
   *
   * @return this
   */
  public Code end() {
    return op(0xb);
  }

  /**
   * {@code ref.is_null}.
   *
   * @return this
   */
  public Code refIsNull() {
    return op(0xd1);
  }

  /**
   * {@code i32.eqz}.
   *
   * @return this
   */
  public Code i32Eqz() {
    return op(0x45);
  }

  /**
   * {@code i32.eq}.
   *
   * @return this
   */
  public Code i32Eq() {
    return op(0x46);
  }

  /**
   * {@code i32.lt_s}.
   *
   * @return this
   */
  public Code i32LtS() {
    return op(0x48);
  }

  /**
   * {@code i32.lt_u}.
   *
   * @return this
   */
  public Code i32LtU() {
    return op(0x49);
  }

  /**
   * {@code i32.gt_s}.
   *
   * @return this
   */
  public Code i32GtS() {
    return op(0x4a);
  }

  /**
   * {@code i32.ge_s}.
   *
   * @return this
   */
  public Code i32GeS() {
    return op(0x4e);
  }

  /**
   * {@code i32.ge_u}.
   *
   * @return this
   */
  public Code i32GeU() {
    return op(0x4f);
  }

  /**
   * {@code i32.add}.
   *
   * @return this
   */
  public Code i32Add() {
    return op(0x6a);
  }

  /**
   * {@code i32.sub}.
   *
   * @return this
   */
  public Code i32Sub() {
    return op(0x6b);
  }

  /**
   * {@code i32.mul}.
   *
   * @return this
   */
  public Code i32Mul() {
    return op(0x6c);
  }

  /**
   * {@code i32.xor}.
   *
   * @return this
   */
  public Code i32Xor() {
    return op(0x73);
  }

  /**
   * {@code i32.shl}.
   *
   * @return this
   */
  public Code i32Shl() {
    return op(0x74);
  }

  /**
   * {@code i32.shr_u}.
   *
   * @return this
   */
  public Code i32ShrU() {
    return op(0x76);
  }

  /**
   * {@code i32.rotl}.
   *
   * @return this
   */
  public Code i32Rotl() {
    return op(0x77);
  }

  /**
   * {@code i64.extend_i32_u}.
   *
   * @return this
   */
  public Code i64ExtendI32U() {
    return op(0xad);
  }

  /**
   * {@code i32.load offset=offset} with its natural alignment.
   *
   * @param offset the static offset
   * @return this
   */
  public Code i32Load(int offset) {
    return memOp(0x28, 2, offset);
  }

  /**
   * {@code i64.load offset=offset} with its natural alignment.
   *
   * @param offset the static offset
   * @return this
   */
  public Code i64Load(int offset) {
    return memOp(0x29, 3, offset);
  }

  /**
   * {@code i32.load8_u offset=offset} with its natural alignment.
   *
   * @param offset the static offset
   * @return this
   */
  public Code i32Load8U(int offset) {
    return memOp(0x2d, 0, offset);
  }

  /**
   * {@code i32.load16_u offset=offset} with its natural alignment.
   *
   * @param offset the static offset
   * @return this
   */
  public Code i32Load16U(int offset) {
    return memOp(0x2f, 1, offset);
  }

  /**
   * {@code i32.store offset=offset} with its natural alignment.
   *
   * @param offset the static offset
   * @return this
   */
  public Code i32Store(int offset) {
    return memOp(0x36, 2, offset);
  }

  /**
   * {@code i32.store8 offset=offset} with its natural alignment.
   *
   * @param offset the static offset
   * @return this
   */
  public Code i32Store8(int offset) {
    return memOp(0x3a, 0, offset);
  }

  /**
   * {@code i64.store offset=offset} with its natural alignment.
   *
   * @param offset the static offset
   * @return this
   */
  public Code i64Store(int offset) {
    return memOp(0x37, 3, offset);
  }

  /**
   * The instructions followed by {@code end}: a constant expression, or a body's code.
   *
   * @return the bytes
   */
  public byte[] toExpr() {
    return new Bytes().raw(bytes.toArray()).u8(0x0b).toArray();
  }

  /**
   * The function body: the local declarations, then {@link #toExpr()}.
   *
   * @return the bytes, without the body's size prefix
   */
  public byte[] toBody() {
    Bytes b = new Bytes().u32(locals.size());
    for (int l : locals) {
      b.u32(1).u8(l);
    }
    return b.raw(toExpr()).toArray();
  }
}
