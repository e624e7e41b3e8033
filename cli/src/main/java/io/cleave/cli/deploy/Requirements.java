package io.cleave.cli.deploy;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A function's {@code requirements.txt}, reduced to what pip must install into the bundle:
 * comments and blank lines dropped, and lines naming {@code fdk} skipped because Cleave's own
 * runtime provides it (Fn's template writes {@code fdk} or {@code fdk>=0.1.x}). Lines that pull
 * in other files or install from a checkout are refused: the cache is keyed by this file alone.
 */
public record Requirements(List<String> lines, List<String> skipped) {
  public static final String FILE_NAME = "requirements.txt";

  /** A requirement's project name: what comes before a version, marker, extra or URL. */
  private static final Pattern NAME = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*)");
  private static final List<String> REFUSED_OPTIONS =
      List.of("-r", "--requirement", "-c", "--constraint", "-e", "--editable");

  /** The file in {@code dir}, or nothing to install when there is none. */
  public static Requirements read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      return new Requirements(List.of(), List.of());
    }
    return parse(Files.readString(file, StandardCharsets.UTF_8));
  }

  static Requirements parse(String text) {
    List<String> lines = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    int number = 0;
    StringBuilder pending = new StringBuilder();
    for (String raw : text.split("\r?\n", -1)) {
      number++;
      // A trailing backslash joins the next line, as in pip.
      if (raw.endsWith("\\")) {
        pending.append(raw, 0, raw.length() - 1);
        continue;
      }
      String line = withoutComment(pending.append(raw).toString()).strip();
      pending.setLength(0);
      if (line.isEmpty()) {
        continue;
      }
      String first = line.split("[\\s=]", 2)[0];
      if (REFUSED_OPTIONS.contains(first)) {
        throw new CliFailure(FILE_NAME + " line " + number + ": '" + line + "' is not supported by cleave deploy"
            + " (list the packages in " + FILE_NAME + " itself)");
      }
      if (!line.startsWith("-") && projectName(line).filter(n -> n.equals("fdk")).isPresent()) {
        skipped.add(line);
        continue;
      }
      lines.add(line);
    }
    return new Requirements(List.copyOf(lines), List.copyOf(skipped));
  }

  /** pip's rule: '#' starts a comment at the line's start or after whitespace. */
  private static String withoutComment(String line) {
    for (int i = 0; i < line.length(); i++) {
      if (line.charAt(i) == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
        return line.substring(0, i);
      }
    }
    return line;
  }

  /** The normalised project name (PEP 503: lowercase, runs of -_. as one -), when the line starts with one. */
  static Optional<String> projectName(String line) {
    Matcher m = NAME.matcher(line);
    if (!m.lookingAt()) {
      return Optional.empty();
    }
    return Optional.of(m.group(1).toLowerCase(Locale.ROOT).replaceAll("[-_.]+", "-"));
  }

  /** Whether pip has anything to install. */
  public boolean installsNothing() {
    return names().isEmpty();
  }

  /** The project names (or the lines, where they name none), for messages. */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      if (!l.startsWith("-")) {
        out.add(projectName(l).orElse(l));
      }
    }
    return out;
  }

  /** The lines pip gets, one per line. */
  public String text() {
    return String.join("\n", lines) + "\n";
  }

  /** sha256 (hex) of what is installed and for which Python: the cache key. */
  public String key(String pythonVersion) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(("python " + pythonVersion + "\n" + text()).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
