package dev.wasmpool.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A growable byte buffer with the WebAssembly binary format's encodings: LEB128 numbers, names,
 * limits and length-prefixed vectors. Not thread-safe.
 */
public final class Bytes {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** Starts an empty buffer. */
  public Bytes() {}

  /**
   * Appends one byte (an opcode, a type code, a flag).
   *
   * @param b the byte, low 8 bits
   * @return this
   */
  public Bytes u8(int b) {
    out.write(b);
    return this;
  }

  /**
   * Appends an unsigned LEB128 number (counts, sizes, indices, memarg fields).
   *
   * @param value the number, read as unsigned
   * @return this
   */
  public Bytes u32(long value) {
    long v = value;
    do {
      int b = (int) (v & 0x7f);
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
    return this;
  }

  /**
   * Appends a signed LEB128 number (the immediate of {@code i32.const} and {@code i64.const}).
   *
   * @param value the number
   * @return this
   */
  public Bytes s64(long value) {
    long v = value;
    while (true) {
      int b = (int) (v & 0x7f);
      v >>= 7;
      boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
      out.write(done ? b : b | 0x80);
      if (done) {
        return this;
      }
    }
  }

  /**
   * Appends a name: its UTF-8 length, then its bytes.
   *
   * @param s the name
   * @return this
   */
  public Bytes name(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return u32(b.length).raw(b);
  }

  /**
   * Appends memory or table limits.
   *
   * @param min the minimum
   * @param max the maximum, or a negative number for none
   * @param shared whether the memory is shared
   * @return this
   */
  public Bytes limits(long min, long max, boolean shared) {
    int flags = (max >= 0 ? 1 : 0) | (shared ? 2 : 0);
    u8(flags).u32(min);
    if (max >= 0) {
      u32(max);
    }
    return this;
  }

  /**
   * Appends a length-prefixed byte vector.
   *
   * @param b the bytes
   * @return this
   */
  public Bytes vector(byte[] b) {
    return u32(b.length).raw(b);
  }

  /**
   * Appends bytes as they are.
   *
   * @param b the bytes
   * @return this
   */
  public Bytes raw(byte[] b) {
    out.writeBytes(b);
    return this;
  }

  /**
   * The bytes written so far.
   *
   * @return a copy
   */
  public byte[] toArray() {
    return out.toByteArray();
  }
}
