package io.cleave.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RemoteForkPlacementTest {
  static final SeedRecord ELSEWHERE =
      new SeedRecord("f1", "v1", "node-2", "m2", true, new RemoteSeed("10.0.0.2:7070", 7, "00ff"));

  static final SeedRecord STARTING = new SeedRecord("f1", "v1", "node-2", "m2", false, null);

  static Stream<Arguments> situations() {
    Situation e = Situation.empty();
    return Stream.of(
        Arguments.of("no seed in the cluster: cold, and claim the seed", e, new Decision.StartCold<>(true, false)),
        Arguments.of("a warm instance here comes first", e.warm("i1").remote(ELSEWHERE), new Decision.UseWarm<>("i1")),
        Arguments.of("the seed is here: fork it", e.seed("s1"), new Decision.Fork<>("s1")),
        Arguments.of("the seed is on another node: restore a child here", e.remote(ELSEWHERE),
            new Decision.RemoteFork<>(ELSEWHERE)),
        Arguments.of("the call is covered by an instance starting", e.remote(ELSEWHERE).waiting(2, 2),
            new Decision.Wait<>()),
        Arguments.of("a seed elsewhere still starting: wait for it rather than start the function twice",
            e.startingElsewhere(STARTING), new Decision.AwaitSeed<>(STARTING)),
        Arguments.of("a warm instance here still comes first while a seed starts elsewhere",
            e.warm("i1").startingElsewhere(STARTING), new Decision.UseWarm<>("i1")),
        Arguments.of("the call is covered by an instance starting here while a seed starts elsewhere",
            e.startingElsewhere(STARTING).waiting(2, 2), new Decision.Wait<>()),
        Arguments.of("no seed ready and none wanted, and the wait for one elsewhere ran out: cold, no seed",
            e.noSeedPossible(), new Decision.StartCold<>(false, false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("situations")
  void decides(String what, Situation situation, Decision<String, String> expected) {
    assertEquals(expected, new RemoteForkPlacement().place(situation));
  }
}
