package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.ApiResponse;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import io.cleave.client.NoAnswerInTime;
import io.cleave.client.PlatformClient;
import io.cleave.client.Terminal;
import io.cleave.client.UsageFailure;
import io.cleave.client.UserCommand;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code cleave invoke APP FN}: stdin is the body, the function's answer goes to stdout. */
@Command(name = "invoke", description = "Invoke a function; standard input is the request body (empty on a terminal).")
public final class InvokeCommand extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Mixin FnParameters fn;

  @Option(names = "--content-type", paramLabel = "TYPE", description = "Content-Type of the body (default: text/plain)", defaultValue = "text/plain")
  String contentType;

  @Option(names = "--display-call-id", description = "Print the call id before the answer")
  boolean displayCallId;

  @Option(names = "--timeout", paramLabel = "SECONDS",
      description = "How long to wait for the answer, 1-" + MAX_WAIT_S + " (default: the function's timeout + " + PLATFORM_MARGIN_S + ")")
  Integer waitSeconds;

  /**
   * Time the platform may take besides the function's own timeout: waiting for memory
   * (--capacity-wait, 10 s by default) and a cold start (forkd gives one up to 30 s).
   */
  static final int PLATFORM_MARGIN_S = 60;
  static final int MAX_WAIT_S = 86_400;
  private static final int DEFAULT_FN_TIMEOUT_S = 30;

  @Override
  protected int execute() throws IOException {
    if (waitSeconds != null && (waitSeconds < 1 || waitSeconds > MAX_WAIT_S)) {
      throw new UsageFailure("--timeout must be between 1 and " + MAX_WAIT_S + " seconds, got " + waitSeconds);
    }
    PlatformClient api = endpoint.client();
    JsonNode function = api.endpoint(fn.appName(), fn.name); // not the function itself: an invoke key may not read it
    String target = fn.appName() + "/" + fn.name;
    byte[] body = Terminal.stdinIsTerminal() ? new byte[0] : System.in.readAllBytes();
    int fnTimeout = function.path("timeout").asInt(DEFAULT_FN_TIMEOUT_S);
    int wait = waitSeconds != null ? waitSeconds : fnTimeout + PLATFORM_MARGIN_S;
    ApiResponse response;
    try {
      response = api.invoke(JsonText.text(function, "fn_id"), contentType, body, wait * 1000);
    } catch (NoAnswerInTime e) {
      throw new CliFailure("no answer from " + target + " within " + wait + " s ("
          + (waitSeconds != null ? "--timeout" : "its timeout " + fnTimeout + " s + " + PLATFORM_MARGIN_S + " s for the platform")
          + "); the call may still finish on the server (cleave activations list --fn " + target
          + "); wait longer with --timeout SECONDS");
    }
    Optional<String> callId = response.header("Fn-Call-Id");
    if (displayCallId && callId.isPresent()) {
      System.out.println("Call ID: " + callId.get());
    }
    if (response.status() >= 400) {
      Optional<String> message = platformMessage(response.body());
      if (message.isEmpty()) {
        writeBody(response.body());
      }
      throw new CliFailure("error invoking function " + target + " (HTTP " + response.status() + ")"
          + message.map(m -> ": " + m).orElse(""));
    }
    writeBody(response.body());
    return 0;
  }

  /** Fn's platform errors are {"message": ...}; anything else is the function's own output. */
  private static Optional<String> platformMessage(byte[] answer) {
    try {
      JsonNode node = Json.MAPPER.readTree(new String(answer, StandardCharsets.UTF_8));
      if (node != null && node.isObject() && node.size() == 1 && node.hasNonNull("message")) {
        return Optional.of(node.get("message").asText());
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** Like fn: the answer as it came, ending with a newline so the shell prompt starts on its own line. */
  private static void writeBody(byte[] answer) {
    System.out.write(answer, 0, answer.length);
    if (answer.length == 0 || answer[answer.length - 1] != '\n') {
      System.out.write('\n');
    }
    System.out.flush();
  }
}
