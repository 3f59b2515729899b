package dev.wasmpool.api.internal.events;

import jdk.jfr.Event;

/**
 * Emits the pool's JFR events. Timed events come in pairs: {@code xStarted()} returns a started
 * event, which the matching method fills in and commits; pass it back unchanged. A disabled event
 * is neither filled nor committed.
 *
 * <p>Thread-safe: every call works on its own event object.
 */
public final class PoolEvents {

  private PoolEvents() {}

  /**
   * Starts timing an instantiation.
   *
   * @return the started event, for {@link #instantiated}
   */
  public static Event instantiateStarted() {
    InstantiateEvent event = new InstantiateEvent();
    event.begin();
    return event;
  }

  /**
   * Ends and commits an instantiation.
   *
   * @param started what {@link #instantiateStarted()} returned
   * @param module the module's name
   * @param moduleId the engine's number for the module
   * @param memories defined memories of the instance
   * @param tables defined tables of the instance
   * @param memorySlot the first memory's pool slot, or -1
   * @param kind how that slot was found
   */
  public static void instantiated(
      Event started,
      String module,
      long moduleId,
      int memories,
      int tables,
      int memorySlot,
      SlotKind kind) {
    InstantiateEvent event = (InstantiateEvent) started;
    event.end();
    if (event.shouldCommit()) {
      event.module = module;
      event.moduleId = moduleId;
      event.memories = memories;
      event.tables = tables;
      event.memorySlot = memorySlot;
      event.slotKind = kind.label();
      event.commit();
    }
  }

  /**
   * Starts timing the hand-back of a closed instance's slots.
   *
   * @return the started event, for {@link #closed}
   */
  public static Event closeStarted() {
    CloseEvent event = new CloseEvent();
    event.begin();
    return event;
  }

  /**
   * Ends and commits the hand-back of a closed instance's slots.
   *
   * @param started what {@link #closeStarted()} returned
   * @param module the module's name
   * @param moduleId the engine's number for the module
   * @param memories memories handed back
   * @param tables tables handed back
   * @param failed whether a reset failed
   */
  public static void closed(
      Event started, String module, long moduleId, int memories, int tables, boolean failed) {
    CloseEvent event = (CloseEvent) started;
    event.end();
    if (event.shouldCommit()) {
      event.module = module;
      event.moduleId = moduleId;
      event.memories = memories;
      event.tables = tables;
      event.failed = failed;
      event.commit();
    }
  }

  /**
   * Starts timing the reset of one slot.
   *
   * @return the started event, for {@link #slotReset}
   */
  public static Event slotResetStarted() {
    SlotResetEvent event = new SlotResetEvent();
    event.begin();
    return event;
  }

  /**
   * Ends and commits the reset of one slot.
   *
   * @param started what {@link #slotResetStarted()} returned
   * @param pool {@code "memory"} or {@code "table"}
   * @param slot the slot's index in its pool
   * @param method how it was reset
   * @param bytesReset bytes brought back to zero or to the image
   * @param bytesKeptResident bytes left resident for the next tenant
   */
  public static void slotReset(
      Event started,
      String pool,
      int slot,
      ResetMethod method,
      long bytesReset,
      long bytesKeptResident) {
    SlotResetEvent event = (SlotResetEvent) started;
    event.end();
    if (event.shouldCommit()) {
      event.pool = pool;
      event.slot = slot;
      event.method = method.label();
      event.bytesReset = bytesReset;
      event.bytesKeptResident = bytesKeptResident;
      event.commit();
    }
  }

  /**
   * Records that a limit refused an instance or a permit.
   *
   * @param kind what ran out, as {@link dev.wasmpool.api.PoolExhaustedException#kind()} says
   * @param limit the configured limit
   * @param module the module being instantiated, or {@code ""} for a permit
   */
  public static void exhausted(String kind, long limit, String module) {
    PoolExhaustedEvent event = new PoolExhaustedEvent();
    if (event.shouldCommit()) {
      event.kind = kind;
      event.limit = limit;
      event.module = module;
      event.commit();
    }
  }

  /**
   * Records that an instance nobody closed was reclaimed after it became unreachable.
   *
   * @param module the module's name
   * @param moduleId the engine's number for the module
   */
  public static void leakReclaimed(String module, long moduleId) {
    LeakReclaimedEvent event = new LeakReclaimedEvent();
    if (event.shouldCommit()) {
      event.module = module;
      event.moduleId = moduleId;
      event.commit();
    }
  }

  /**
   * Starts timing the purge of a closed module.
   *
   * @return the started event, for {@link #modulePurged}
   */
  public static Event purgeStarted() {
    ModulePurgeEvent event = new ModulePurgeEvent();
    event.begin();
    return event;
  }

  /**
   * Ends and commits the purge of a closed module.
   *
   * @param started what {@link #purgeStarted()} returned
   * @param module the module's name
   * @param moduleId the engine's number for the module
   */
  public static void modulePurged(Event started, String module, long moduleId) {
    ModulePurgeEvent event = (ModulePurgeEvent) started;
    event.end();
    if (event.shouldCommit()) {
      event.module = module;
      event.moduleId = moduleId;
      event.commit();
    }
  }

  /**
   * Records that a module's memory image was built.
   *
   * @param module the module's name
   * @param moduleId the engine's number for the module
   * @param offset where the image starts in linear memory
   * @param bytes the image's size
   */
  public static void imageCreated(String module, long moduleId, long offset, long bytes) {
    ImageCreateEvent event = new ImageCreateEvent();
    if (event.shouldCommit()) {
      event.module = module;
      event.moduleId = moduleId;
      event.offset = offset;
      event.bytes = bytes;
      event.commit();
    }
  }
}
