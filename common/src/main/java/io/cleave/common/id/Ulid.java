package io.cleave.common.id;

import java.security.SecureRandom;

/**
 * 26-character ULIDs (Crockford base32: 48-bit millisecond time, 80 random bits). Ids made in the
 * same millisecond by one process increase monotonically, so ids sort in creation order.
 */
public final class Ulid {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final SecureRandom SEED = new SecureRandom();

  private static long lastMillis;
  private static long randHi; // top 16 of the 80 random bits
  private static long randLo; // low 64 of the 80 random bits

  private Ulid() {}

  public static String next() {
    long millis;
    long hi;
    long lo;
    synchronized (Ulid.class) {
      millis = System.currentTimeMillis();
      if (millis <= lastMillis) {
        millis = lastMillis;
        randLo++;
        if (randLo == 0) {
          randHi = (randHi + 1) & 0xFFFF;
        }
      } else {
        lastMillis = millis;
        randHi = SEED.nextInt() & 0xFFFF;
        // Keep headroom so the monotonic increment does not wrap within a millisecond.
        randLo = SEED.nextLong() >>> 1;
      }
      hi = randHi;
      lo = randLo;
    }
    char[] out = new char[26];
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET[(int) (millis & 31)];
      millis >>>= 5;
    }
    // 80 random bits = hi(16) + lo(64), written as 16 base32 digits.
    for (int i = 25; i >= 10; i--) {
      out[i] = ALPHABET[(int) (lo & 31)];
      lo = (lo >>> 5) | ((hi & 31) << 59);
      hi >>>= 5;
    }
    return new String(out);
  }

  /** True when {@code s} has the shape of a ULID (26 Crockford base32 characters). */
  public static boolean isValid(String s) {
    if (s == null || s.length() != 26 || s.charAt(0) > '7') {
      return false;
    }
    for (int i = 0; i < 26; i++) {
      char c = s.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U');
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
