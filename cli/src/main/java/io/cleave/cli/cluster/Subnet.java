package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster's private /24, {@code 10.X.Y.0/24}: the host is .1 on the bridge, node k is .(k+1).
 * X and Y start from the directory's tag, so clusters of different directories pick different
 * networks, and move on past any network the host already has an address or route in.
 */
public record Subnet(int x, int y) {
  private static final Pattern IPV4 = Pattern.compile("(?<![\\d.])(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?:/(\\d{1,2}))?");
  private static final int CANDIDATES = 100 * 256;

  public String cidr() {
    return prefix() + "0/24";
  }

  public String hostAddress() {
    return prefix() + "1";
  }

  public String nodeAddress(int k) {
    if (k < 1 || k > 250) {
      throw new IllegalArgumentException("node " + k + " does not fit a /24");
    }
    return prefix() + (k + 1);
  }

  private String prefix() {
    return "10." + x + "." + y + ".";
  }

  /** Parses {@code 10.X.Y.0/24} as cluster.json keeps it. */
  public static Subnet parse(String cidr) {
    Matcher m = Pattern.compile("10\\.(\\d{1,3})\\.(\\d{1,3})\\.0/24").matcher(cidr);
    if (!m.matches() || Integer.parseInt(m.group(1)) > 255 || Integer.parseInt(m.group(2)) > 255) {
      throw new CliFailure("not a cluster subnet: '" + cidr + "' (expected 10.X.Y.0/24)");
    }
    return new Subnet(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
  }

  /**
   * The first free /24 from the tag's starting point; {@code hostNetworks} is the text of
   * {@code ip -4 addr} and {@code ip -4 route}, every IPv4 address or prefix in it counts as taken.
   */
  public static Subnet choose(String tag, String hostNetworks) {
    List<long[]> taken = new ArrayList<>();
    Matcher m = IPV4.matcher(hostNetworks);
    while (m.find()) {
      long address = 0;
      boolean valid = true;
      for (int i = 1; i <= 4; i++) {
        int octet = Integer.parseInt(m.group(i));
        valid &= octet <= 255;
        address = (address << 8) | octet;
      }
      int length = m.group(5) == null ? 32 : Integer.parseInt(m.group(5));
      if (valid && length > 0 && length <= 32) {
        taken.add(new long[] {address, length});
      }
    }
    int start = Integer.parseInt(tag.substring(0, 4), 16);
    for (int i = 0; i < CANDIDATES; i++) {
      int n = (start + i) % CANDIDATES;
      Subnet candidate = new Subnet(100 + n / 256, n % 256);
      if (taken.stream().noneMatch(t -> candidate.overlaps(t[0], (int) t[1]))) {
        return candidate;
      }
    }
    throw new CliFailure("no free /24 left in 10.100.0.0-10.199.255.0 on this host");
  }

  private boolean overlaps(long address, int length) {
    long network = (10L << 24) | ((long) x << 16) | ((long) y << 8);
    int common = Math.min(length, 24);
    return (network >>> (32 - common)) == (address >>> (32 - common));
  }
}
