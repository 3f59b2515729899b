package dev.wasmpool.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11's behaviours as a user sees them: the slot each instance got, from the engine's JFR
 * events, and the warm slots, from its metrics, on the default backend (on Linux the Linux one).
 */
class SlotRulesTourTest {

  @ParameterizedTest
  @ValueSource(strings = {"affinity", "budget", "threads", "batching"})
  void scene_matchesTheSeedsRules(String name) throws Exception {
    SlotRulesTour.Scene scene = SlotRulesTour.run(name);
    assertEquals(scene.expected(), scene.observed(), name);
  }
}
