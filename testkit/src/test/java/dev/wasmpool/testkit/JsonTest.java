package dev.wasmpool.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void parse_valuesOfEveryKind() {
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("line", 12L);
    expected.put("score", 1.5e3);
    expected.put("text", "a\"b\\c\u00e9\n");
    expected.put("list", Arrays.asList(true, false, null, List.of()));
    expected.put("empty", Map.of());
    assertEquals(
        expected,
        Json.parse(
            " {\"line\": 12, \"score\": 1.5e3, \"text\": \"a\\\"b\\\\c\\u00e9\\n\","
                + " \"list\": [true, false, null, []], \"empty\": {}} "));
  }

  @Test
  void parse_integerBeyondLongIsADouble() {
    assertEquals(1.8446744073709552E19, Json.parse("18446744073709551616"));
  }

  @Test
  void parse_malformedNamesTheOffset() {
    IllegalArgumentException trailing =
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1] x"));
    assertTrue(trailing.getMessage().contains("offset 4"), trailing.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\" 1}"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("\"open"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("[1,"));
    assertThrows(IllegalArgumentException.class, () -> Json.parse("-"));
  }
}
