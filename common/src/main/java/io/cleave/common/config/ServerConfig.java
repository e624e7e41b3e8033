package io.cleave.common.config;

import io.cleave.common.bundle.UnpackLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Settings of one Cleave server process (gateway + registry + node). Every field has a working
 * single-machine default; README "Configuration" lists the matching flags and environment variables.
 *
 * @param host HTTP listen address
 * @param port HTTP port; 0 picks a free one
 * @param dataDir root of everything the server keeps on disk
 * @param clusterName Hazelcast cluster name; members with different names never join
 * @param clusterHost address Hazelcast binds and announces
 * @param clusterPort first Hazelcast port tried (it counts up when taken)
 * @param members Hazelcast TCP member list (host or host:port); empty runs standalone
 * @param clusterSecret shared by the members; a member presents it when it forwards a call to
 *     another ("" turns forwarding off)
 * @param invokeBodyLimit largest request body accepted by invoke and trigger routes
 * @param apiBodyLimit largest JSON body accepted by the management API
 * @param bundleLimit largest code bundle upload (compressed)
 * @param unpackLimits bounds on what one bundle may unpack to
 * @param httpInstances HTTP server instances (event loops serving the API)
 * @param bundleStorage per-app quota on bundles and when unreferenced bundles are collected
 * @param httpEdge timeouts and connection caps of the API server
 * @param adminKey an admin API key accepted besides the registry's keys, for operators and tests
 *     that need a known one ("" for none); never stored, listed or revocable
 */
public record ServerConfig(
    String host,
    int port,
    Path dataDir,
    String clusterName,
    String clusterHost,
    int clusterPort,
    List<String> members,
    long invokeBodyLimit,
    long apiBodyLimit,
    long bundleLimit,
    UnpackLimits unpackLimits,
    int httpInstances,
    String clusterSecret,
    BundleStorage bundleStorage,
    HttpEdgeLimits httpEdge,
    String adminKey) {

  public static final long MB = 1024L * 1024;

  public ServerConfig {
    members = List.copyOf(members);
    clusterSecret = clusterSecret == null ? "" : clusterSecret;
    httpEdge = httpEdge == null ? HttpEdgeLimits.DEFAULT : httpEdge;
    adminKey = adminKey == null ? "" : adminKey;
    if (!adminKey.isEmpty() && adminKey.length() < 16) {
      throw new IllegalArgumentException("the admin key must be at least 16 characters");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535");
    }
    if (httpInstances < 1) {
      throw new IllegalArgumentException("http instances must be at least 1");
    }
  }

  /** The defaults of {@code ./cleave server}, with the given data directory. */
  public static ServerConfig defaults(Path dataDir) {
    return new ServerConfig("127.0.0.1", 8080, dataDir, "cleave", "127.0.0.1", 5701, List.of(),
        6 * MB, 1 * MB, 64 * MB, UnpackLimits.DEFAULT, Math.max(1, Runtime.getRuntime().availableProcessors()), "",
        BundleStorage.DEFAULT, HttpEdgeLimits.DEFAULT, "");
  }

  public ServerConfig withPort(int newPort) {
    return new ServerConfig(host, newPort, dataDir, clusterName, clusterHost, clusterPort, members,
        invokeBodyLimit, apiBodyLimit, bundleLimit, unpackLimits, httpInstances, clusterSecret, bundleStorage, httpEdge, adminKey);
  }

  public ServerConfig withCluster(String name, int firstPort, List<String> memberList) {
    return new ServerConfig(host, port, dataDir, name, clusterHost, firstPort, memberList,
        invokeBodyLimit, apiBodyLimit, bundleLimit, unpackLimits, httpInstances, clusterSecret, bundleStorage, httpEdge, adminKey);
  }

  public ServerConfig withLimits(long invokeBody, long apiBody, long bundle, UnpackLimits unpack) {
    return new ServerConfig(host, port, dataDir, clusterName, clusterHost, clusterPort, members,
        invokeBody, apiBody, bundle, unpack, httpInstances, clusterSecret, bundleStorage, httpEdge, adminKey);
  }

  /** The same server with the secret members present to each other when they forward calls. */
  public ServerConfig withClusterSecret(String secret) {
    return new ServerConfig(host, port, dataDir, clusterName, clusterHost, clusterPort, members,
        invokeBodyLimit, apiBodyLimit, bundleLimit, unpackLimits, httpInstances, secret, bundleStorage, httpEdge, adminKey);
  }

  /** The same server with another bundle quota and collection grace. */
  public ServerConfig withBundleStorage(BundleStorage storage) {
    return new ServerConfig(host, port, dataDir, clusterName, clusterHost, clusterPort, members,
        invokeBodyLimit, apiBodyLimit, bundleLimit, unpackLimits, httpInstances, clusterSecret, storage, httpEdge, adminKey);
  }

  /** The same server with these HTTP timeouts and connection caps. */
  public ServerConfig withHttpEdge(HttpEdgeLimits limits) {
    return new ServerConfig(host, port, dataDir, clusterName, clusterHost, clusterPort, members,
        invokeBodyLimit, apiBodyLimit, bundleLimit, unpackLimits, httpInstances, clusterSecret, bundleStorage, limits, adminKey);
  }

  /** The same server accepting {@code key} as an admin key besides the registry's keys. */
  public ServerConfig withAdminKey(String key) {
    return new ServerConfig(host, port, dataDir, clusterName, clusterHost, clusterPort, members,
        invokeBodyLimit, apiBodyLimit, bundleLimit, unpackLimits, httpInstances, clusterSecret, bundleStorage, httpEdge, key);
  }

  /** Calls may be forwarded between members: they share a secret to prove they are members. */
  public boolean forwardsCalls() {
    return !clusterSecret.isEmpty();
  }

  /** Without the cluster secret and the admin key, which must never reach a log. */
  @Override
  public String toString() {
    return "ServerConfig[host=" + host + ", port=" + port + ", dataDir=" + dataDir + ", clusterName=" + clusterName
        + ", members=" + members + ", clusterSecret=" + (clusterSecret.isEmpty() ? "none" : "set")
        + ", adminKey=" + (adminKey.isEmpty() ? "none" : "set") + "]";
  }

  /** The base URL other members and clients reach this server's API at, given the bound port. */
  public String apiUrl(int boundPort) {
    boolean anyAddress = host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]");
    return "http://" + (anyAddress ? clusterHost : host) + ":" + boundPort;
  }

  /** Parses a byte size such as {@code 65536}, {@code 64k}, {@code 64m}, {@code 1g} (binary units). */
  public static long parseBytes(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    if (t.endsWith("b")) {
      t = t.substring(0, t.length() - 1);
    }
    long unit = 1;
    if (t.endsWith("k")) {
      unit = 1024;
    } else if (t.endsWith("m")) {
      unit = MB;
    } else if (t.endsWith("g")) {
      unit = 1024 * MB;
    }
    if (unit != 1) {
      t = t.substring(0, t.length() - 1);
    }
    long value;
    try {
      value = Long.parseLong(t.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a byte size: " + text + " (examples: 6m, 512k, 1g)");
    }
    if (value <= 0) {
      throw new IllegalArgumentException("byte size must be positive: " + text);
    }
    return Math.multiplyExact(value, unit);
  }
}
