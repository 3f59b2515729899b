package dev.wasmpool.bench.wasm;

import java.io.ByteArrayOutputStream;

/** LEB128 integer encoding, as the WebAssembly binary format uses it. */
final class Leb128 {
  private Leb128() {}

  static void writeUnsigned(ByteArrayOutputStream out, long value) {
    long v = value;
    do {
      int b = (int) (v & 0x7f);
      v >>>= 7;
      out.write(v == 0 ? b : b | 0x80);
    } while (v != 0);
  }

  static void writeSigned(ByteArrayOutputStream out, long value) {
    long v = value;
    while (true) {
      int b = (int) (v & 0x7f);
      v >>= 7;
      boolean done = (v == 0 && (b & 0x40) == 0) || (v == -1 && (b & 0x40) != 0);
      out.write(done ? b : b | 0x80);
      if (done) {
        return;
      }
    }
  }
}
