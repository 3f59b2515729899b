package dev.wasmpool.samples;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The few pieces of the WebAssembly binary format the samples need: LEB128 numbers, names,
 * vectors and sections. Enough to assemble a module by hand; not a general encoder.
 *
 * <p>Not thread-safe.
 */
final class WasmBytes {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** Appends raw bytes (opcodes, type codes). */
  WasmBytes raw(int... bytes) {
    for (int b : bytes) {
      out.write(b);
    }
    return this;
  }

  /** Appends an unsigned LEB128 number (counts, sizes, indices, memarg fields). */
  WasmBytes u32(long value) {
    long rest = value;
    do {
      int b = (int) (rest & 0x7f);
      rest >>>= 7;
      out.write(rest == 0 ? b : b | 0x80);
    } while (rest != 0);
    return this;
  }

  /** Appends a signed LEB128 number (the immediate of {@code i32.const}). */
  WasmBytes s32(int value) {
    int rest = value;
    while (true) {
      int b = rest & 0x7f;
      rest >>= 7;
      boolean done = (rest == 0 && (b & 0x40) == 0) || (rest == -1 && (b & 0x40) != 0);
      out.write(done ? b : b | 0x80);
      if (done) {
        return this;
      }
    }
  }

  /** Appends a name: its UTF-8 length, then its bytes. */
  WasmBytes name(String name) {
    byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
    u32(utf8.length);
    out.writeBytes(utf8);
    return this;
  }

  /** Appends a length-prefixed byte vector (a code body, a data segment's bytes). */
  WasmBytes bytes(byte[] bytes) {
    u32(bytes.length);
    out.writeBytes(bytes);
    return this;
  }

  /** Appends a section: its id, then its contents prefixed by their size. */
  WasmBytes section(int id, WasmBytes contents) {
    out.write(id);
    return bytes(contents.toByteArray());
  }

  /** The bytes written so far. */
  byte[] toByteArray() {
    return out.toByteArray();
  }
}
