package io.cleave.client;

import io.cleave.common.access.KeyFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The {@code --api-url} and {@code --api-key} options shared by every command that talks to the server. */
public final class ApiEndpoint {
  /** Where `cleave server` listens by default (its --host and --port). */
  public static final String DEFAULT_URL = "http://127.0.0.1:8080";
  /** Where a key comes from, in order, as error messages tell it. */
  static final String KEY_SOURCES = "give one with --api-key, CLEAVE_API_KEY or FN_TOKEN, or in "
      + KeyFile.defaultPath();

  @Option(
      names = "--api-url",
      paramLabel = "URL",
      description = "API URL (default: $CLEAVE_API_URL, else $FN_API_URL, else " + DEFAULT_URL + ")")
  String url;

  @Option(
      names = "--api-key",
      paramLabel = "KEY",
      description = "API key (default: $CLEAVE_API_KEY, else $FN_TOKEN, else the key file: $CLEAVE_KEY_FILE,"
          + " else ~/.cleave/key, where `cleave server` writes its first admin key)")
  String apiKey;

  /** The URL in effect: the option, then CLEAVE_API_URL, then FN_API_URL, then the default. */
  public String url() {
    return firstSet(url, System.getenv("CLEAVE_API_URL"), System.getenv("FN_API_URL")).orElse(DEFAULT_URL);
  }

  /**
   * The key in effect: the option, then CLEAVE_API_KEY, then FN_TOKEN (what the {@code fn} CLI
   * sends), then the key file; null when there is none (only open routes will answer).
   */
  public String apiKey() {
    return keyInEffect(apiKey);
  }

  /** The key in effect for a program with its own options: {@code option}, then as {@link #apiKey()}. */
  public static String keyInEffect(String option) {
    Optional<String> given = firstSet(option, System.getenv("CLEAVE_API_KEY"), System.getenv("FN_TOKEN"));
    if (given.isPresent()) {
      return given.get();
    }
    Path file = KeyFile.defaultPath();
    try {
      return KeyFile.read(file).orElse(null);
    } catch (IOException e) {
      throw new CliFailure("cannot read the API key in " + file + ": " + e.getMessage());
    }
  }

  private static Optional<String> firstSet(String... candidates) {
    for (String candidate : candidates) {
      if (candidate != null && !candidate.isBlank()) {
        return Optional.of(candidate.strip());
      }
    }
    return Optional.empty();
  }

  /** A client for the URL and key in effect; a malformed URL is a usage error. */
  public PlatformClient client() {
    String url = url();
    String key = apiKey();
    try {
      return new PlatformClient(url, key);
    } catch (IllegalArgumentException e) {
      throw new UsageFailure("invalid API URL '" + url + "': expected something like " + DEFAULT_URL);
    }
  }
}
