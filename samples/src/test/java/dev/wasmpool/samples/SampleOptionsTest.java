package dev.wasmpool.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SampleOptionsTest {

  @Test
  void parse_noArguments_givesDefaults() {
    SampleOptions o = SampleOptions.parse();
    assertEquals(20_000, o.requests());
    assertEquals(8, o.modules());
    assertEquals(Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 4), o.threads());
    assertEquals("auto", o.backend());
  }

  @Test
  void parse_equalsAndSpaceForms() {
    assertEquals(
        new SampleOptions(500, 3, 2, "portable"),
        SampleOptions.parse("--requests=500", "--modules", "3", "-t", "2", "--backend=portable"));
  }

  @Test
  void parse_blankArguments_areIgnored() {
    // exec-maven-plugin passes an empty ${sample.args} as an empty argument
    assertEquals(SampleOptions.defaults(), SampleOptions.parse("", " "));
  }

  @Test
  void parse_underscoresInNumbers() {
    assertEquals(50_000, SampleOptions.parse("--requests=50_000").requests());
  }

  @Test
  void parse_zero_isRejectedNamingTheArgument() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SampleOptions.parse("--threads=0"));
    assertEquals("--threads must be a positive number (was 0)", e.getMessage());
  }

  @Test
  void parse_unknownArgument_isRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SampleOptions.parse("--tenants=3"));
    assertEquals("unknown argument --tenants=3", e.getMessage());
  }

  @Test
  void parse_missingValue_isRejected() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SampleOptions.parse("--requests"));
    assertEquals("argument --requests needs a value", e.getMessage());
  }
}
