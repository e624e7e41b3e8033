package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.ApiResponse;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.TextTable;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave activations list|get|logs}: the records of calls, newest first. */
@Command(
    name = "activations",
    aliases = {"activation", "act"},
    description = "Show the records and logs of function calls.",
    subcommands = {ActivationsCommand.ListActivations.class, ActivationsCommand.Get.class, ActivationsCommand.Logs.class})
public final class ActivationsCommand {
  /** The API's largest page of activations. */
  static final int MAX_LIMIT = 1000;

  ActivationsCommand() {}

  /** {@code --fn APP/FN} or a function id, resolved to the id the API filters on. */
  static String fnId(PlatformClient api, String fn) throws IOException {
    int slash = fn.indexOf('/');
    if (slash < 0) {
      return fn;
    }
    String app = fn.substring(0, slash);
    String name = fn.substring(slash + 1);
    if (app.isEmpty() || name.isEmpty()) {
      throw new UsageFailure("--fn expects APP/FN or a function id, got '" + fn + "'");
    }
    return JsonText.text(api.fn(api.app(app), name), "id");
  }

  /** An ISO-8601 instant, or a duration back from now such as 90s, 10m, 2h, 1d. */
  static Instant since(String value) {
    Optional<Duration> span = TimeSpan.parse(value);
    if (span.isPresent()) {
      return Instant.now().minus(span.get());
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new UsageFailure("--since expects a time like 2024-05-01T10:00:00Z or a duration like 10m, got '" + value + "'");
    }
  }

  static List<JsonNode> query(PlatformClient api, String fn, String since, int limit) throws IOException {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new UsageFailure("--limit must be between 1 and " + MAX_LIMIT + ", got " + limit);
    }
    String sinceTime = since == null ? null : since(since).toString();
    Map<String, String> q = new LinkedHashMap<>();
    if (fn != null) {
      q.put("fn_id", fnId(api, fn));
    }
    q.put("since", sinceTime);
    q.put("limit", Integer.toString(limit));
    return api.activations(q);
  }

  @Command(name = "list", aliases = "ls", description = "List recent activations, newest first.")
  static final class ListActivations extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Mixin OutputOption output;

    @Option(names = "--fn", paramLabel = "APP/FN|FN_ID", description = "Only this function's activations")
    String fn;

    @Option(names = {"--limit", "-n"}, paramLabel = "N", defaultValue = "30", description = "At most N activations, 1-1000 (default: ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--since", paramLabel = "TIME", description = "Only activations that started after TIME (ISO-8601, or 10m, 2h, 1d ago)")
    String since;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      List<JsonNode> items = query(api, fn, since, limit);
      if (ListCommand.shownWithoutTable(items, output, "No activations found")) {
        return 0;
      }
      Map<String, String> fnNames = new HashMap<>();
      TextTable t = new TextTable("ID", "FUNCTION", "START", "STATUS", "START MODE", "DURATION", "HTTP");
      for (JsonNode a : items) {
        String id = JsonText.text(a, "fn_id");
        String name = fnNames.computeIfAbsent(id, k -> fnName(api, k));
        t.row(JsonText.text(a, "id"), name, JsonText.text(a, "start"), JsonText.text(a, "status"),
            JsonText.text(a, "start_mode"), a.hasNonNull("duration_ms") ? a.get("duration_ms").asText() + " ms" : "",
            JsonText.text(a, "http_status"));
      }
      t.print(System.out);
      return 0;
    }

    /** The function's name for display; its id when it is gone. */
    private static String fnName(PlatformClient api, String id) {
      if (id.isEmpty()) {
        return "";
      }
      try {
        return JsonText.text(api.fnById(id), "name");
      } catch (CliFailure | IOException e) {
        return id;
      }
    }
  }

  @Command(name = "get", description = "Show one activation as JSON.")
  static final class Get extends UserCommand {
    @Mixin ApiEndpoint endpoint;
    @Parameters(paramLabel = "ID") String id;

    @Override
    protected int execute() throws IOException {
      System.out.println(JsonText.pretty(endpoint.client().activation(id)));
      return 0;
    }
  }

  @Command(name = "logs", aliases = "log", description = "Print the stdout and stderr a call produced.")
  static final class Logs extends UserCommand {
    @Mixin ApiEndpoint endpoint;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
      @Parameters(paramLabel = "ID", description = "Activation (call) id") String id;
      @Option(names = "--last", description = "The most recent activation") boolean last;
    }

    @Option(names = "--fn", paramLabel = "APP/FN|FN_ID", description = "With --last: the most recent call of this function")
    String fn;

    @Override
    protected int execute() throws IOException {
      PlatformClient api = endpoint.client();
      String id = which.id;
      if (which.last) {
        List<JsonNode> newest = query(api, fn, null, 1);
        if (newest.isEmpty()) {
          throw new CliFailure("no activations yet" + (fn == null ? "" : " for " + fn));
        }
        id = JsonText.text(newest.get(0), "id");
      } else if (fn != null) {
        throw new UsageFailure("--fn only goes with --last");
      }
      ApiResponse response = api.activationLogs(id);
      String text = new String(response.body(), StandardCharsets.UTF_8);
      if (response.header("Content-Type").orElse("").startsWith("application/json")) {
        JsonNode node = JsonText.parse(text);
        text = node.has("logs") ? node.get("logs").asText() : JsonText.pretty(node);
      }
      System.out.print(text);
      if (!text.isEmpty() && !text.endsWith("\n")) {
        System.out.println();
      }
      System.out.flush();
      return 0;
    }
  }
}
