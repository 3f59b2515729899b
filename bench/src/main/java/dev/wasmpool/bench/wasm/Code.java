package dev.wasmpool.bench.wasm;

import java.io.ByteArrayOutputStream;

/**
 * A function body under construction: WebAssembly instructions appended in order, with their
 * immediates LEB128-encoded. Only the instructions the benchmark modules need.
 */
public final class Code {

  /** Block type of a block or loop that leaves nothing on the stack. */
  private static final int EMPTY_BLOCK = 0x40;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  /** Starts an empty body. */
  public Code() {}

  Code op(int opcode) {
    bytes.write(opcode);
    return this;
  }

  Code u32(long value) {
    Leb128.writeUnsigned(bytes, value);
    return this;
  }

  /**
   * {@code i32.const value}.
   *
   * @param value the constant
   * @return this
   */
  public Code i32Const(int value) {
    bytes.write(0x41);
    Leb128.writeSigned(bytes, value);
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
   * {@code block} with an empty type.
   *
   * @return this
   */
  public Code block() {
    return op(0x02).op(EMPTY_BLOCK);
  }

  /**
   * {@code loop} with an empty type.
   *
   * @return this
   */
  public Code loop() {
    return op(0x03).op(EMPTY_BLOCK);
  }

  /**
   * {@code end} of a block, loop or the body.
   *
   * @return this
   */
  public Code end() {
    return op(0x0b);
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
   * {@code i32.load align=2 offset=0}.
   *
   * @return this
   */
  public Code i32Load() {
    return op(0x28).u32(2).u32(0);
  }

  /**
   * {@code i32.load8_u align=0 offset=0}.
   *
   * @return this
   */
  public Code i32Load8U() {
    return op(0x2d).u32(0).u32(0);
  }

  /**
   * {@code i32.store align=2 offset=0}.
   *
   * @return this
   */
  public Code i32Store() {
    return op(0x36).u32(2).u32(0);
  }

  /**
   * {@code i64.load align=3 offset=0}.
   *
   * @return this
   */
  public Code i64Load() {
    return op(0x29).u32(3).u32(0);
  }

  /**
   * {@code i64.store align=3 offset=0}.
   *
   * @return this
   */
  public Code i64Store() {
    return op(0x37).u32(3).u32(0);
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
   * {@code i32.xor}.
   *
   * @return this
   */
  public Code i32Xor() {
    return op(0x73);
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
   * The encoded instructions, followed by the body's final {@code end}.
   *
   * @return the instruction bytes
   */
  byte[] toBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] body = bytes.toByteArray();
    out.write(body, 0, body.length);
    out.write(0x0b);
    return out.toByteArray();
  }
}
