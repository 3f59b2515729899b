package dev.wasmpool.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.Parser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TenantTest {

  @ParameterizedTest(name = "tenant {0}")
  @ValueSource(ints = {0, 1, 2, 3, 4})
  void handle_freshInstance_answersTheJavaExpectation(int index) {
    Tenant tenant = Tenant.of(index);
    Instance instance = Instance.builder(Parser.parse(tenant.wasm())).build();
    for (int seed : new int[] {0, 1, -1, 123456789, Integer.MIN_VALUE}) {
      Instance fresh = Instance.builder(Parser.parse(tenant.wasm())).build();
      assertEquals(tenant.expected(seed), (int) fresh.export("handle").apply(seed)[0], "seed " + seed);
    }
    assertEquals(tenant.pages(), instance.memory().pages());
  }

  @Test
  void handle_secondCallOnTheSameMemory_answersDifferently() {
    // The check the sample relies on: a memory that was not reset changes the answer.
    Tenant tenant = Tenant.of(2);
    Instance instance = Instance.builder(Parser.parse(tenant.wasm())).build();
    assertEquals(tenant.expected(7), (int) instance.export("handle").apply(7)[0]);
    assertNotEquals(tenant.expected(7), (int) instance.export("handle").apply(7)[0]);
  }

  @Test
  void shapes_cycleThroughFourSizes() {
    assertEquals(1, Tenant.of(0).pages());
    assertEquals(4, Tenant.of(1).pages());
    assertEquals(17, Tenant.of(2).pages());
    assertEquals(64, Tenant.of(3).pages());
    assertEquals(1, Tenant.of(4).pages());
    assertEquals(256 << 10, Tenant.of(3).data().length);
    assertNotEquals(Tenant.of(0).expected(1), Tenant.of(4).expected(1), "tenants of one shape differ in data");
  }

  @Test
  void handle_readsTheDataSegment() {
    Tenant tenant = Tenant.of(1);
    Instance instance = Instance.builder(Parser.parse(tenant.wasm())).build();
    assertEquals(tenant.data()[100], instance.memory().read(100));
    byte[] changed = tenant.data().clone();
    changed[0] ^= 1;
    Tenant altered = new Tenant(tenant.name(), tenant.pages(), changed, tenant.wasm());
    assertNotEquals(tenant.expected(5), altered.expected(5), "the first word takes part in the answer");
  }
}
