package io.cleave.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.cleave.common.invoke.NodeLoad;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CallRoutingTest {
  static NodeLoad load(String node, long capacity, long reserved, int idle, int seeds) {
    return new NodeLoad(node, capacity, reserved, 0, idle, 1, seeds, Map.of());
  }

  static final CallRouting.Candidate ROOMY = new CallRouting.Candidate("http://b", load("b", 1024, 0, 0, 0));
  static final CallRouting.Candidate ROOMIER = new CallRouting.Candidate("http://c", load("c", 4096, 512, 0, 0));
  static final CallRouting.Candidate FULL = new CallRouting.Candidate("http://d", load("d", 1024, 1000, 0, 0));

  @Test
  void aNodeWithRoomRunsTheCallItself() {
    assertEquals(Optional.empty(), CallRouting.forwardTo(load("a", 1024, 512, 0, 0), List.of(ROOMY), 256));
  }

  @Test
  void aNodeThatCanEvictRunsTheCallItself() {
    assertEquals(Optional.empty(), CallRouting.forwardTo(load("a", 1024, 1024, 1, 0), List.of(ROOMY), 256));
    assertEquals(Optional.empty(), CallRouting.forwardTo(load("a", 1024, 1024, 0, 1), List.of(ROOMY), 256));
  }

  @Test
  void aFullNodeForwardsToTheMemberWithTheMostFreeMemory() {
    NodeLoad full = load("a", 1024, 1024, 0, 0);
    assertEquals(Optional.of(ROOMIER), CallRouting.forwardTo(full, List.of(ROOMY, FULL, ROOMIER), 256));
    assertEquals(Optional.of(ROOMY), CallRouting.forwardTo(full, List.of(ROOMY, FULL), 256));
  }

  @Test
  void noMemberWithRoomOrNoLoadYetMeansHere() {
    NodeLoad full = load("a", 1024, 1024, 0, 0);
    assertEquals(Optional.empty(), CallRouting.forwardTo(full, List.of(FULL), 256));
    assertEquals(Optional.empty(), CallRouting.forwardTo(full, List.of(new CallRouting.Candidate("http://e", null)), 256));
    assertEquals(Optional.empty(), CallRouting.forwardTo(full, List.of(ROOMY), 2048), "too big for every member");
  }
}
