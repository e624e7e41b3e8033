package io.cleave.forkd;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An IPv4 network, {@code a.b.c.d/n} with no host bits set; addresses are ints (network byte order as a number). */
record Ipv4Net(int network, int prefix) {
  private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
  private static final Pattern ADDRESS = Pattern.compile(OCTET + "\\." + OCTET + "\\." + OCTET + "\\." + OCTET);
  private static final Pattern CIDR = Pattern.compile("(" + ADDRESS.pattern() + ")/(3[0-2]|[12]?\\d)");

  Ipv4Net {
    if (prefix < 0 || prefix > 32 || (network & ~mask(prefix)) != 0) {
      throw new IllegalArgumentException(format(network) + "/" + prefix + " is not a network (host bits set)");
    }
  }

  /** Parses {@code a.b.c.d/n}; host bits must be clear. */
  static Ipv4Net parse(String cidr) {
    Matcher m = CIDR.matcher(cidr.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + cidr + "' is not an IPv4 network a.b.c.d/n");
    }
    return new Ipv4Net(parseAddress(m.group(1)), Integer.parseInt(m.group(6)));
  }

  /** Parses a comma-separated list of networks (empty: none). */
  static List<Ipv4Net> parseList(String cidrs) {
    List<Ipv4Net> out = new ArrayList<>();
    for (String part : cidrs.split(",")) {
      if (!part.isBlank()) {
        out.add(parse(part));
      }
    }
    return out;
  }

  static boolean isAddress(String text) {
    return ADDRESS.matcher(text).matches();
  }

  static int parseAddress(String text) {
    Matcher m = ADDRESS.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + text + "' is not an IPv4 address");
    }
    int a = 0;
    for (int i = 1; i <= 4; i++) {
      a = (a << 8) | Integer.parseInt(m.group(i));
    }
    return a;
  }

  static String format(int address) {
    return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
  }

  static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  boolean contains(int address) {
    return (address & mask(prefix)) == network;
  }

  /** Two CIDR networks overlap exactly when one holds the other. */
  boolean overlaps(Ipv4Net other) {
    return contains(other.network) || other.contains(network);
  }

  /** How many addresses the network spans. */
  long size() {
    return 1L << (32 - prefix);
  }

  /** The address at {@code offset} from the network's (offset 1: the first host). */
  int at(long offset) {
    return network + (int) offset;
  }

  /**
   * {@code nets} without those another one of them holds (nft refuses overlapping intervals in a set).
   */
  static List<Ipv4Net> outermost(List<Ipv4Net> nets) {
    List<Ipv4Net> distinct = nets.stream().distinct().toList();
    return distinct.stream()
        .filter(n -> distinct.stream().noneMatch(o -> o.prefix < n.prefix && o.contains(n.network)))
        .toList();
  }

  @Override
  public String toString() {
    return format(network) + "/" + prefix;
  }
}
