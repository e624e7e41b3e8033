package io.cleave.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server killed with SIGKILL in the middle of a run: after the restart the run resumes and
 * completes; the step that was running runs again (at least once), the step that had succeeded
 * does not, and the run's result is recorded once.
 */
@Timeout(200)
class FlowKill9Test {
  @TempDir Path dir;

  @Test
  void aRunCutByKill9ResumesAfterRestartAndCompletesOnce() throws Exception {
    Path data = dir.resolve("data");
    String cluster = "kill9-flows-" + UUID.randomUUID();
    try (FlowFunctions.Witness witness = new FlowFunctions.Witness(t -> t.endsWith("-held") ? "hold" : "go")) {
      String runId;
      List<ProcessHandle> started;
      try (ServerProcess server = ServerProcess.startWatched(data, cluster)) {
        PlatformClient client = new PlatformClient(server.url);
        String app = client.createApp("kill9");
        client.deploy(app, "witnessed", Map.of("memory", 64, "timeout", 120,
            "config", Map.of("OP", "witnessed", "WITNESS", witness.url())), Map.of("func.py", FlowFunctions.STEPS));
        String flow = client.json("POST", "/cleave/v1/flows", Map.of("app_id", app, "name", "three",
            "steps", List.of(Map.of("name", "first", "fn", "witnessed"),
                Map.of("name", "held", "fn", "witnessed", "after", List.of("first")),
                Map.of("name", "last", "fn", "witnessed", "after", List.of("held"))))).get("id").asText();
        HttpResponse<String> r = client.send("POST", "/cleave/v1/flows/" + flow + "/runs", "1",
            Map.of("Fn-Invoke-Type", "detached"));
        assertEquals(202, r.statusCode(), r.body());
        runId = PlatformClient.JSON.readTree(r.body()).get("id").asText();
        String id = runId;
        Poll.until("the held step is running", Duration.ofSeconds(60), () -> witness.runsOf(id, "held") == 1);
        started = server.kill9();
      }
      Poll.until("forkd and its instances end with the killed server", Duration.ofSeconds(30),
          () -> started.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList(), List::isEmpty);

      try (ServerProcess restarted = ServerProcess.startWatched(data, cluster)) {
        PlatformClient client = new PlatformClient(restarted.url);
        JsonNode run = Poll.until("the run completed after the restart", Duration.ofSeconds(90),
            () -> client.json("GET", "/cleave/v1/runs/" + runId, null), j -> j.get("status").asText().equals("succeeded"));
        assertEquals(4, run.get("output").asInt(), run.toString());
        assertEquals(1, witness.runsOf(runId, "first"), "a step that had succeeded does not run again");
        assertEquals(2, witness.runsOf(runId, "held"), "the step cut by the kill ran again, once");
        assertEquals(1, witness.runsOf(runId, "last"));
        JsonNode held = run.get("steps").get(1);
        assertEquals(2, held.get("calls").size(), held.toString());
        JsonNode runs = client.json("GET", "/cleave/v1/runs", null).get("items");
        assertEquals(1, runs.size(), runs.toString());
        assertEquals("succeeded", runs.get(0).get("status").asText());
      }
    }
  }
}
