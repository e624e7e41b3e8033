package io.cleave.fdk.java;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * Reads an RFC 3339 time stamp as Fn-Deadline carries it ({@code 2026-12-06T18:13:09.123Z}, or
 * with an offset such as {@code +01:00}) without java.time.format: initialising its formatters
 * costs a cold JVM ~14 ms of CPU on its first call, which no AppCDS archive removes (it is class
 * initialisation, not loading). Any other form answers null; the caller falls back to java.time.
 */
final class Rfc3339 {
  private static final int[] NANOS_PER_DIGIT = {100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1};

  private Rfc3339() {}

  static Instant parse(String s) {
    int n = s.length();
    if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || (s.charAt(10) != 'T' && s.charAt(10) != 't')
        || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return null;
    }
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
      return null;
    }
    int i = 19;
    int nanos = 0;
    if (s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 9 && isDigit(s.charAt(i))) {
        i++;
      }
      if (i == start || (i < n && isDigit(s.charAt(i)))) {
        return null;
      }
      nanos = digits(s, start, i - start) * NANOS_PER_DIGIT[i - start - 1];
    }
    Integer offset = offsetSeconds(s, i);
    if (offset == null) {
      return null;
    }
    long epochDay;
    try {
      epochDay = LocalDate.of(digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2)).toEpochDay();
    } catch (DateTimeException e) {
      return null; // a field that is not digits (-1) or a day the month does not have
    }
    return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600 + minute * 60 + second - offset, nanos);
  }

  /** The zone part from {@code at} to the end: Z, or +hh:mm / -hh:mm; null when it is neither. */
  private static Integer offsetSeconds(String s, int at) {
    int n = s.length();
    if (at == n - 1 && (s.charAt(at) == 'Z' || s.charAt(at) == 'z')) {
      return 0;
    }
    if (at != n - 6 || (s.charAt(at) != '+' && s.charAt(at) != '-') || s.charAt(at + 3) != ':') {
      return null;
    }
    int hours = digits(s, at + 1, 2);
    int minutes = digits(s, at + 4, 2);
    if (hours < 0 || hours > 18 || minutes < 0 || minutes > 59) {
      return null;
    }
    int seconds = hours * 3_600 + minutes * 60;
    return s.charAt(at) == '-' ? -seconds : seconds;
  }

  /** The decimal number in s[from, from + count), or -1 when a character there is not a digit. */
  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char c = s.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
