package io.cleave.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ForkPlacementTest {
  static Stream<Arguments> situations() {
    Situation e = Situation.empty();
    return Stream.of(
        Arguments.of("first call: cold, and make the seed", e, new Decision.StartCold<>(true, false)),
        Arguments.of("a warm instance comes first", e.warm("i1").seed("s1"), new Decision.UseWarm<>("i1")),
        Arguments.of("no warm instance: fork the seed", e.seed("s1"), new Decision.Fork<>("s1")),
        Arguments.of("no seed to fork and none possible: cold only", e.noSeedPossible(),
            new Decision.StartCold<>(false, false)),
        Arguments.of("the call is covered by an instance starting", e.seed("s1").waiting(2, 2), new Decision.Wait<>()),
        Arguments.of("more calls than starting slots: fork another", e.seed("s1").waiting(3, 2),
            new Decision.Fork<>("s1")),
        Arguments.of("nothing waits", e.seed("s1").waiting(0, 0), new Decision.Wait<>()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("situations")
  void decides(String what, Situation situation, Decision<String, String> expected) {
    assertEquals(expected, new ForkPlacement().place(situation));
  }
}
