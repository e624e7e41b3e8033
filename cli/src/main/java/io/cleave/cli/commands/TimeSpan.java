package io.cleave.cli.commands;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A span of time as users type it on the command line: a whole number and a unit, {@code 90s}, {@code 10m}, {@code 2h}, {@code 1d}. */
final class TimeSpan {
  private static final Pattern SPAN = Pattern.compile("(\\d{1,9})([smhd])");

  private TimeSpan() {}

  /** The span {@code value} names, or empty when it is not one. */
  static Optional<Duration> parse(String value) {
    Matcher m = SPAN.matcher(value);
    if (!m.matches()) {
      return Optional.empty();
    }
    long n = Long.parseLong(m.group(1));
    return Optional.of(switch (m.group(2)) {
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    });
  }
}
