package dev.wasmpool.fuzz;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.runtime.TableInstance;
import dev.wasmpool.chicory.PooledInstance;
import java.util.SplittableRandom;

/**
 * The memory and table of an instance that was closed, kept to check that a stale handle never
 * reaches the slot's next tenant: every access must throw {@link IllegalStateException} (as {@code
 * PooledMemory} and {@code PooledTable} document), and the next tenant's state must be unchanged.
 */
record StaleHandle(Instance instance, Memory memory, TableInstance table) {

  private static final int PAGE = PoolShape.PAGE;

  /** Captures {@code live}'s handles; call before closing it. */
  static StaleHandle of(PooledInstance live, boolean hasTable) {
    return new StaleHandle(live.instance(), live.memory(), hasTable ? live.instance().table(0) : null);
  }

  /**
   * Tries a read, a write or a grow through the stale handles; each must fail. Addresses lie
   * within the memory's last size: an access beyond it is an out-of-bounds trap before and after
   * the close alike.
   */
  void probe(SplittableRandom r, String context) {
    int bytes = memory.pages() * PAGE;
    int address = bytes == 0 ? 0 : r.nextInt(bytes);
    int word = Math.max(0, Math.min(address, bytes - 8));
    switch (bytes == 0 ? 5 : r.nextInt(6)) {
      case 0 -> expectClosed(() -> memory.read(address), context + ": stale read");
      case 1 -> expectClosed(() -> memory.writeByte(address, (byte) 0x5a), context + ": stale writeByte");
      case 2 -> expectClosed(() -> memory.writeLong(word, 0x5a5a5a5a5a5a5a5aL), context + ": stale writeLong");
      case 3 -> expectClosed(() -> memory.readBytes(0, bytes), context + ": stale readBytes");
      case 4 -> expectClosed(() -> memory.write(0, new byte[bytes]), context + ": stale write");
      default -> expectClosed(
          () -> {
            // Refusing (-1) is failing too: a grow past the maximum is refused before and after.
            int old = memory.grow(1);
            if (old == -1) {
              throw new IllegalStateException("refused");
            }
          },
          context + ": stale grow");
    }
    if (table != null && table.size() > 0) {
      int index = r.nextInt(table.size());
      if (r.nextBoolean()) {
        expectClosed(() -> table.ref(index), context + ": stale table.ref");
      } else {
        expectClosed(() -> table.setRef(index, 0, instance), context + ": stale table.setRef");
      }
    }
  }

  private static void expectClosed(Runnable access, String what) {
    try {
      access.run();
    } catch (IllegalStateException expected) {
      return;
    } catch (RuntimeException e) {
      throw new AssertionError(what + " threw " + e + " instead of IllegalStateException", e);
    }
    throw new AssertionError(what + " succeeded after its instance was closed");
  }
}
