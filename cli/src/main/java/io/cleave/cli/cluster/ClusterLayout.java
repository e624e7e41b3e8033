package io.cleave.cli.cluster;

import io.cleave.common.access.KeyFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names and paths of one local cluster, all derived from its directory: a tag (8 hex digits of
 * the directory's hash) names the cluster, its bridge, namespaces and veths, so two directories
 * never share a name and {@code down} finds everything again even without cluster.json.
 */
public final class ClusterLayout {
  /** API and Hazelcast ports: every node has its own address, so all use the same ones. */
  public static final int API_PORT = 8080;
  public static final int HAZELCAST_PORT = 5701;

  private final Path dir;
  private final String tag;

  private ClusterLayout(Path dir, String tag) {
    this.dir = dir;
    this.tag = tag;
  }

  /** The layout of DIR; the tag comes from its real path when it exists (symlinks name one cluster). */
  public static ClusterLayout of(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    try {
      if (Files.exists(abs)) {
        abs = abs.toRealPath();
      }
    } catch (java.io.IOException e) {
      // unreadable: the normalised absolute path names it as well
    }
    return new ClusterLayout(abs, tagOf(abs.toString()));
  }

  static String tagOf(String path) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  public Path dir() {
    return dir;
  }

  public String tag() {
    return tag;
  }

  /** Hazelcast cluster name, also the bridge's name (15 characters, the kernel's limit). */
  public String clusterName() {
    return "cleave-" + tag;
  }

  public String bridge() {
    return clusterName();
  }

  public Path stateFile() {
    return dir.resolve("cluster.json");
  }

  /** The admin key every node accepts (mode 0600): {@code CLEAVE_KEY_FILE=DIR/admin.key cleave ...}. */
  public Path adminKeyFile() {
    return dir.resolve("admin.key");
  }

  /** The admin key of the cluster in this directory, or null when it has none. */
  public String adminKey() {
    try {
      return KeyFile.read(adminKeyFile()).orElse(null);
    } catch (java.io.IOException e) {
      throw new io.cleave.client.CliFailure("cannot read " + adminKeyFile() + ": " + e.getMessage());
    }
  }

  public static String nodeName(int k) {
    return "node" + k;
  }

  public String namespace(int k) {
    return clusterName() + "-" + nodeName(k);
  }

  /** Host side of node k's veth pair; the namespace side is called eth0. */
  public String hostVeth(int k) {
    return "cv-" + tag + "-" + k;
  }

  public Path nodeDir(int k) {
    return dir.resolve(nodeName(k));
  }

  public Path dataDir(int k) {
    return nodeDir(k).resolve("data");
  }

  public Path serverLog(int k) {
    return nodeDir(k).resolve("server.log");
  }

  /** Node number of one of this cluster's namespace names. */
  public Optional<Integer> nodeOfNamespace(String name) {
    return number(Pattern.quote(clusterName() + "-node") + "(\\d+)", name);
  }

  /** Node number of one of this cluster's host-side veth names. */
  public Optional<Integer> nodeOfVeth(String name) {
    return number(Pattern.quote("cv-" + tag + "-") + "(\\d+)", name);
  }

  /** Node number of a directory name under DIR ({@code node3}). */
  public static Optional<Integer> nodeOfDir(String name) {
    return number("node(\\d+)", name);
  }

  private static Optional<Integer> number(String regex, String text) {
    Matcher m = Pattern.compile(regex).matcher(text);
    if (!m.matches() || m.group(1).length() > 3) {
      return Optional.empty();
    }
    return Optional.of(Integer.parseInt(m.group(1)));
  }
}
