package io.cleave.common.model;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.error.ApiError;
import io.cleave.common.json.Json;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/** Fn's validation rules and messages (api/models in fnproject/fn), plus Cleave's own fields. */
public final class Rules {
  public static final int MAX_NAME = 255;
  /** Fn's range: 1 MB up to 8 GB; 0 or absent means the default. */
  public static final int MIN_MEMORY = 1;
  public static final int MAX_MEMORY = 8192;
  public static final int DEFAULT_MEMORY = 128;
  public static final int MAX_TIMEOUT = 300;
  public static final int DEFAULT_TIMEOUT = 30;
  public static final int MAX_IDLE_TIMEOUT = 3600;
  public static final int DEFAULT_IDLE_TIMEOUT = 30;
  public static final int MAX_CONCURRENCY = 1000;
  public static final int DEFAULT_CONCURRENCY = 1;
  public static final int MAX_IMAGE = 1024;
  private static final int MAX_ANNOTATION_KEY_BYTES = 128;
  private static final int MAX_ANNOTATION_VALUE_BYTES = 512;
  private static final int MAX_ANNOTATION_KEYS = 100;
  private static final int MAX_CONFIG_KEYS = 1000;
  private static final int MAX_CONFIG_BYTES = 64 * 1024;
  /** Deepest JSON an API body may nest: Fn's objects nest a few levels; deeper is an attack on the parser. */
  public static final int MAX_JSON_DEPTH = 64;
  /** A percent-escape of a control character, lower-cased: %00-%1f and %7f. */
  private static final java.util.regex.Pattern ESCAPED_CONTROL = java.util.regex.Pattern.compile("%([01][0-9a-f]|7f)");

  private Rules() {}

  public static ApiError bad(String message) {
    return new ApiError(400, message);
  }

  public static void appName(String name) {
    if (name == null || name.isEmpty()) {
      throw bad("Missing Name");
    }
    if (name.length() > MAX_NAME) {
      throw bad("App name must be " + MAX_NAME + " characters or less");
    }
    if (!lettersDigitsDashUnderscore(name)) {
      throw bad("Invalid app name");
    }
  }

  public static void fnName(String name) {
    if (name == null || name.isEmpty()) {
      throw bad("Missing Fn name");
    }
    if (name.length() > MAX_NAME) {
      throw bad("Fn name must be " + MAX_NAME + " characters or less");
    }
    // Fn accepts a name that needs no escaping as a URL path segment.
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-_.~$&+=:@".indexOf(c) >= 0;
      if (!ok) {
        throw bad("name must be a valid string");
      }
    }
  }

  public static void triggerName(String name) {
    if (name == null || name.isEmpty()) {
      throw bad("Missing name on Trigger");
    }
    if (name.length() > MAX_NAME) {
      throw bad("Trigger name must be " + MAX_NAME + " characters or less");
    }
    if (!lettersDigitsDashUnderscore(name)) {
      throw bad("Invalid name for Trigger");
    }
  }

  public static void triggerSource(String source) {
    if (source == null || source.isEmpty()) {
      throw bad("Missing Trigger Source");
    }
    if (!source.startsWith("/")) {
      throw bad("Missing Trigger Source Prefix '/'");
    }
    if (source.length() > 2048) {
      throw bad("Trigger source must be 2048 characters or less");
    }
    for (int i = 0; i < source.length(); i++) {
      char c = source.charAt(i);
      if (c <= ' ' || c == '?' || c == '#' || Character.isISOControl(c)) {
        throw bad("Invalid Trigger Source: it must be a URL path without spaces, '?' or '#'");
      }
    }
    // A path that normalises or decodes to something else (., .. or empty segments, an escaped
    // control character) could be reached as, or shadow, another trigger's path.
    String lower = source.toLowerCase(java.util.Locale.ROOT);
    if (ESCAPED_CONTROL.matcher(lower).find()) {
      throw bad("Invalid Trigger Source: it must not contain control characters");
    }
    String[] segments = lower.substring(1).replace("%2e", ".").split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      boolean trailingSlash = i == segments.length - 1 && segments[i].isEmpty();
      if (segments[i].equals(".") || segments[i].equals("..") || (segments[i].isEmpty() && !trailingSlash)) {
        throw bad("Invalid Trigger Source: it must not contain '.', '..' or empty ('//') segments");
      }
    }
  }

  /** Fn's rule for app and trigger names, ASCII only: look-alike letters of other scripts are refused. */
  private static boolean lettersDigitsDashUnderscore(String s) {
    return s.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '-');
  }

  // Fn's range messages say "between 0 and N": 0 (or leaving the field out) means the default.

  public static void memory(int mb) {
    if (mb < MIN_MEMORY || mb > MAX_MEMORY) {
      throw bad("memory value is out of range. It should be between 0 and " + MAX_MEMORY);
    }
  }

  public static void timeout(int s) {
    if (s <= 0 || s > MAX_TIMEOUT) {
      throw bad("timeout value is out of range, must be between 0 and " + MAX_TIMEOUT);
    }
  }

  public static void idleTimeout(int s) {
    if (s <= 0 || s > MAX_IDLE_TIMEOUT) {
      throw bad("idle_timeout value is out of range, must be between 0 and " + MAX_IDLE_TIMEOUT);
    }
  }

  public static void concurrency(int n) {
    if (n <= 0 || n > MAX_CONCURRENCY) {
      throw bad("concurrency value is out of range, must be between 0 and " + MAX_CONCURRENCY);
    }
  }

  /** Fn's app shapes; an app without one is "". */
  public static final java.util.Set<String> SHAPES = java.util.Set.of("GENERIC_X86", "GENERIC_ARM", "GENERIC_X86_ARM");

  public static void shape(String shape) {
    if (shape != null && !shape.isEmpty() && !SHAPES.contains(shape)) {
      throw bad("Invalid app shape");
    }
  }

  /**
   * A function's image must be a bundle reference Cleave can run: {@code cleave/bundle:sha256-<hex>}
   * (or the older {@code bundle:sha256:<hex>}) naming a bundle that {@code held} says this cluster
   * has. Answers the bundle's digest. Empty images are the caller's business (a function may be
   * created before its code is uploaded).
   */
  public static BundleDigest image(String image, Predicate<BundleDigest> held) {
    if (image.length() > MAX_IMAGE) {
      throw bad("Invalid Fn image: longer than " + MAX_IMAGE + " characters");
    }
    BundleDigest digest = BundleDigest.fromImage(image).orElseThrow(() -> bad(
        BundleDigest.looksLikeBundleImage(image)
            ? "Invalid Fn image: a bundle reference is " + BundleDigest.IMAGE_REPOSITORY + ":sha256-<64 hex digits>"
            : "Invalid Fn image: Cleave runs code bundles, not container images; the image is "
                + BundleDigest.IMAGE_REPOSITORY + ":sha256-<64 hex digits>, set by uploading the code"
                + " (PUT /cleave/v1/fns/{id}/bundle, or cleave deploy)"));
    if (!held.test(digest)) {
      throw bad("Invalid Fn image: bundle " + digest + " is not on this cluster; upload the code first"
          + " (PUT /cleave/v1/fns/{id}/bundle, or cleave deploy)");
    }
    return digest;
  }

  public static void syslogUrl(String url) {
    if (url == null || url.isEmpty()) {
      return;
    }
    String scheme;
    try {
      scheme = new URI(url.trim()).getScheme();
    } catch (URISyntaxException e) {
      throw bad("invalid syslog url: \"" + url + "\" " + e.getMessage());
    }
    if (scheme == null || !java.util.Set.of("udp", "tcp", "unix", "unixgram", "tcp+tls").contains(scheme)) {
      throw bad("invalid syslog url: \"" + url + "\" invalid scheme, only [tcp, udp, unix, unixgram, tcp+tls] are supported");
    }
  }

  public static void config(Map<String, String> config) {
    if (config.size() > MAX_CONFIG_KEYS) {
      throw bad("Invalid config: more than " + MAX_CONFIG_KEYS + " keys");
    }
    long bytes = 0;
    for (var e : config.entrySet()) {
      // Config reaches the function as environment variables: a key holding '=' or NUL, or a
      // value holding NUL, is one no process can be given.
      String key = e.getKey();
      if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
        throw bad("Invalid config: keys must be non-empty and contain no '=' or NUL");
      }
      if (e.getValue().indexOf('\0') >= 0) {
        throw bad("Invalid config: the value of '" + key + "' contains NUL");
      }
      bytes += e.getKey().length() + e.getValue().length();
    }
    if (bytes > MAX_CONFIG_BYTES) {
      throw bad("Invalid config: larger than " + MAX_CONFIG_BYTES + " bytes");
    }
  }

  public static void annotations(Map<String, Object> annotations) {
    for (var e : annotations.entrySet()) {
      String key = e.getKey();
      if (key.isEmpty() || !key.chars().allMatch(c -> c >= '!' && c <= '~')) {
        throw bad("Invalid annotation key, annotation keys must be non-empty ascii strings excluding whitespace");
      }
      if (key.indexOf('=') >= 0) {
        throw bad("Invalid annotation key, annotation keys must not contain '='");
      }
      if (key.getBytes(StandardCharsets.UTF_8).length > MAX_ANNOTATION_KEY_BYTES) {
        throw bad("Invalid annotation key length, annotation keys may not be larger than "
            + MAX_ANNOTATION_KEY_BYTES + " bytes");
      }
      if (isEmptyValue(e.getValue())) {
        throw bad("Invalid annotation value, annotation values may only be non-empty strings, numbers, objects, or arrays");
      }
      if (holdsNul(e.getValue())) {
        throw bad("Invalid annotation value, annotation values must not contain NUL");
      }
      if (Json.toBytes(e.getValue()).length > MAX_ANNOTATION_VALUE_BYTES) {
        throw bad("Invalid annotation value length, annotation values may not be larger than "
            + MAX_ANNOTATION_VALUE_BYTES + " bytes when serialized as JSON");
      }
    }
    if (annotations.size() > MAX_ANNOTATION_KEYS) {
      throw bad("Invalid annotation change, new key(s) exceed maximum permitted number of annotations keys ("
          + MAX_ANNOTATION_KEYS + ")");
    }
  }

  /** Whether a JSON value (strings, numbers, maps and lists of them) has a NUL in a string or key. */
  private static boolean holdsNul(Object v) {
    if (v instanceof String text) {
      return text.indexOf('\0') >= 0;
    }
    if (v instanceof Map<?, ?> map) {
      return map.entrySet().stream().anyMatch(e -> holdsNul(e.getKey()) || holdsNul(e.getValue()));
    }
    if (v instanceof java.util.Collection<?> items) {
      return items.stream().anyMatch(Rules::holdsNul);
    }
    return false;
  }

  /** A function's {@code cleave.io/network} annotation, when present, is {@code "none"} or {@code "outbound"}. */
  public static void fnNetwork(Map<String, Object> annotations) {
    Object value = annotations.get(FnNetwork.ANNOTATION);
    if (value != null && !"none".equals(value) && !"outbound".equals(value)) {
      throw bad("Invalid annotation " + FnNetwork.ANNOTATION + ", it must be \"none\" or \"outbound\", got "
          + new String(Json.toBytes(value), StandardCharsets.UTF_8));
    }
  }

  public static boolean isEmptyValue(Object v) {
    return v == null || "".equals(v);
  }

  /** Fn's merge-patch for config: an empty value deletes the key. */
  public static Map<String, String> mergeConfig(Map<String, String> current, Map<String, String> patch) {
    Map<String, String> out = new LinkedHashMap<>(current == null ? Map.of() : current);
    if (patch != null) {
      patch.forEach((k, v) -> {
        if (v == null || v.isEmpty()) {
          out.remove(k);
        } else {
          out.put(k, v);
        }
      });
    }
    return out;
  }

  /** Fn's merge-patch for annotations: an empty string or null value deletes the key. */
  public static Map<String, Object> mergeAnnotations(Map<String, Object> current, Map<String, Object> patch) {
    Map<String, Object> out = new LinkedHashMap<>(current == null ? Map.of() : current);
    if (patch != null) {
      patch.forEach((k, v) -> {
        if (isEmptyValue(v)) {
          out.remove(k);
        } else {
          out.put(k, v);
        }
      });
    }
    return out;
  }
}
