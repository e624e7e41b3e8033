package io.cleave.client;

import picocli.CommandLine.Option;

/** The {@code --api-url} option shared by every command that talks to the server. */
public final class ApiEndpoint {
  /** Where `cleave server` listens by default (its --host and --port). */
  public static final String DEFAULT_URL = "http://127.0.0.1:8080";

  @Option(
      names = "--api-url",
      paramLabel = "URL",
      description = "API URL (default: $CLEAVE_API_URL, else $FN_API_URL, else " + DEFAULT_URL + ")")
  String url;

  /** The URL in effect: the option, then CLEAVE_API_URL, then FN_API_URL, then the default. */
  public String url() {
    for (String candidate : new String[] {url, System.getenv("CLEAVE_API_URL"), System.getenv("FN_API_URL")}) {
      if (candidate != null && !candidate.isBlank()) {
        return candidate.strip();
      }
    }
    return DEFAULT_URL;
  }

  /** A client for the URL in effect; a malformed URL is a usage error. */
  public PlatformClient client() {
    String url = url();
    try {
      return new PlatformClient(url);
    } catch (IllegalArgumentException e) {
      throw new UsageFailure("invalid API URL '" + url + "': expected something like " + DEFAULT_URL);
    }
  }
}
