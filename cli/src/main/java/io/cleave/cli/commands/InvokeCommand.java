package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.cli.api.ApiEndpoint;
import io.cleave.cli.api.CleaveApi;
import io.cleave.cli.api.CliFailure;
import io.cleave.cli.api.JsonText;
import io.cleave.cli.api.Terminal;
import io.cleave.cli.api.UserCommand;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cleave invoke APP FN}: stdin is the body, the function's answer goes to stdout. */
@Command(name = "invoke", description = "Invoke a function; standard input is the request body (empty on a terminal).")
public final class InvokeCommand extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Parameters(index = "0", paramLabel = "APP") String appName;

  @Parameters(index = "1", paramLabel = "FN") String fnName;

  @Option(names = "--content-type", paramLabel = "TYPE", description = "Content-Type of the body (default: text/plain)", defaultValue = "text/plain")
  String contentType;

  @Option(names = "--display-call-id", description = "Print the call id before the answer")
  boolean displayCallId;

  @Override
  protected int execute() throws IOException, InterruptedException {
    CleaveApi api = endpoint.client();
    JsonNode fn = api.fn(api.app(appName), fnName);
    byte[] body = Terminal.stdinIsTerminal() ? new byte[0] : System.in.readAllBytes();
    HttpResponse<InputStream> response = api.send(
        api.request("/invoke/" + CleaveApi.segment(JsonText.text(fn, "id")))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)),
        HttpResponse.BodyHandlers.ofInputStream());
    Optional<String> callId = response.headers().firstValue("Fn-Call-Id");
    if (displayCallId && callId.isPresent()) {
      System.out.println("Call ID: " + callId.get());
    }
    int status = response.statusCode();
    if (status >= 400) {
      byte[] answer;
      try (InputStream in = response.body()) {
        answer = in.readAllBytes();
      }
      Optional<String> message = platformMessage(answer);
      if (message.isEmpty()) {
        writeBody(answer);
      }
      throw new CliFailure("error invoking function " + appName + "/" + fnName + " (HTTP " + status + ")"
          + message.map(m -> ": " + m).orElse(""));
    }
    try (InputStream in = response.body()) {
      byte[] buf = new byte[1 << 16];
      int last = -1;
      int n;
      while ((n = in.read(buf)) > 0) {
        System.out.write(buf, 0, n);
        last = buf[n - 1];
      }
      // Like fn: end with a newline so the shell prompt starts on its own line.
      if (last != '\n') {
        System.out.write('\n');
      }
      System.out.flush();
    }
    return 0;
  }

  /** Fn's platform errors are {"message": ...}; anything else is the function's own output. */
  private static Optional<String> platformMessage(byte[] answer) {
    try {
      JsonNode node = JsonText.MAPPER.readTree(new String(answer, StandardCharsets.UTF_8));
      if (node != null && node.isObject() && node.size() == 1 && node.hasNonNull("message")) {
        return Optional.of(node.get("message").asText());
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static void writeBody(byte[] answer) {
    System.out.write(answer, 0, answer.length);
    if (answer.length > 0 && answer[answer.length - 1] != '\n') {
      System.out.write('\n');
    }
    System.out.flush();
  }
}
