package io.cleave.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ColdOnlyPlacementTest {
  static Stream<Arguments> situations() {
    Situation e = Situation.empty();
    return Stream.of(
        Arguments.of("every call starts a single-use cold instance", e, new Decision.StartCold<>(false, true)),
        Arguments.of("the instance started for a call serves it", e.started("i1"), new Decision.UseStarted<>("i1")),
        Arguments.of("a warm instance is never reused", e.warm("i1"), new Decision.StartCold<>(false, true)),
        Arguments.of("a seed is never forked", e.seed("s1"), new Decision.StartCold<>(false, true)),
        Arguments.of("the call is covered by an instance starting", e.waiting(2, 2), new Decision.Wait<>()),
        Arguments.of("more calls than starting slots: another start", e.waiting(3, 2),
            new Decision.StartCold<>(false, true)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("situations")
  void decides(String what, Situation situation, Decision<String, String> expected) {
    assertEquals(expected, new ColdOnlyPlacement().place(situation));
  }
}
