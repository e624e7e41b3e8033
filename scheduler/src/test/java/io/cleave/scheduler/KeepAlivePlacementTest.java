package io.cleave.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KeepAlivePlacementTest {
  static Stream<Arguments> situations() {
    Situation e = Situation.empty();
    return Stream.of(
        Arguments.of("first call: cold, no seed", e, new Decision.StartCold<>(false, false)),
        Arguments.of("a warm instance is reused", e.warm("i1"), new Decision.UseWarm<>("i1")),
        Arguments.of("a forkable seed is never forked", e.seed("s1"), new Decision.StartCold<>(false, false)),
        Arguments.of("the call is covered by an instance starting", e.waiting(1, 1), new Decision.Wait<>()),
        Arguments.of("more calls than starting slots: another cold start", e.waiting(2, 1),
            new Decision.StartCold<>(false, false)),
        Arguments.of("nothing waits", e.waiting(0, 0), new Decision.Wait<>()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("situations")
  void decides(String what, Situation situation, Decision<String, String> expected) {
    assertEquals(expected, new KeepAlivePlacement().place(situation));
  }
}
