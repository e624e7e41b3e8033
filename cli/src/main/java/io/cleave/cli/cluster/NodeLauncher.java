package io.cleave.cli.cluster;

import io.cleave.client.CliFailure;
import io.cleave.common.access.ApiKeySecret;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Starts one node's {@code cleave server} inside its namespace, detached from the CLI: its own
 * session ({@code setsid}), only the network namespace entered ({@code nsenter --net}; {@code ip
 * netns exec} would also remount /sys and hide the cgroup hierarchies forkd needs), stdin from
 * /dev/null and its output appended to DIR/nodeK/server.log. The command is the one the launcher
 * runs for {@code ./cleave server}: this JVM, its classpath, the same main class, and the
 * launcher's extra server arguments (a benchmark's {@code --policy}, for one) on every node.
 */
public final class NodeLauncher {
  private final Path cleaveHome;
  private final List<String> javaCommand;
  private final List<String> serverArgs;
  /** Shared by this cluster's nodes, so a full node can forward calls to the others (env, not argv: ps shows argv). */
  private final String clusterSecret = newSecret();
  /** The admin key every node accepts (env, so it is in no log and no ps line); kept in DIR/admin.key. */
  private final String adminKey = ApiKeySecret.generate("cluster");

  private NodeLauncher(Path cleaveHome, List<String> javaCommand, List<String> serverArgs) {
    this.cleaveHome = cleaveHome;
    this.javaCommand = javaCommand;
    this.serverArgs = List.copyOf(serverArgs);
  }

  private static String newSecret() {
    byte[] b = new byte[24];
    new java.security.SecureRandom().nextBytes(b);
    return java.util.HexFormat.of().formatHex(b);
  }

  String adminKey() {
    return adminKey;
  }

  /**
   * The launcher for this checkout, {@code serverArgs} added to every node's {@code cleave server};
   * fails with what is missing when it cannot find one.
   */
  static NodeLauncher forThisCheckout(List<String> serverArgs) {
    Path home = cleaveHome();
    List<String> java = new ArrayList<>();
    java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    String opts = System.getenv("CLEAVE_JAVA_OPTS");
    if (opts != null && !opts.isBlank()) {
      java.addAll(Arrays.asList(opts.strip().split("\\s+")));
    }
    java.add("-XX:+UseG1GC");
    java.add("-cp");
    java.add(absoluteClasspath());
    java.add("io.cleave.cli.Main");
    return new NodeLauncher(home, List.copyOf(java), serverArgs);
  }

  /**
   * Starts node k of the cluster; the process is its server (setsid, not being a group leader here,
   * and nsenter, entering no pid namespace, both exec in place).
   */
  Process start(ClusterState cluster, int k) {
    ClusterState.Node node = cluster.node(k);
    List<String> command = new ArrayList<>(List.of("setsid", "nsenter", "--net=/run/netns/" + node.namespace(), "--"));
    command.addAll(javaCommand);
    command.addAll(List.of("server",
        "--host", node.address(), "--port", Integer.toString(ClusterLayout.API_PORT),
        "--data-dir", node.dataDir(),
        "--cluster-host", node.address(), "--cluster-port", Integer.toString(ClusterLayout.HAZELCAST_PORT),
        "--members", cluster.members(), "--cluster-name", cluster.name(),
        "--node-name", node.name()));
    command.addAll(serverArgs);
    File log = new File(node.log());
    try {
      Files.createDirectories(Path.of(node.dataDir()));
      // The command as run, less the classpath (the CLI's own, long and the same on every node).
      String shown = String.join(" ", command).replace(javaCommand.get(javaCommand.indexOf("-cp") + 1), "<classpath>");
      Files.writeString(log.toPath(), "cleave cluster " + cluster.name() + " starts " + node.name() + ": " + shown + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      ProcessBuilder pb = new ProcessBuilder(command)
          .directory(log.getParentFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
          .redirectErrorStream(true);
      pb.environment().put("CLEAVE_HOME", cleaveHome.toString());
      pb.environment().put("CLEAVE_CLUSTER_SECRET", clusterSecret);
      pb.environment().put("CLEAVE_ADMIN_KEY", adminKey);
      return pb.start();
    } catch (IOException e) {
      throw new CliFailure(node.name() + ": cannot start its server (" + String.join(" ", command.subList(0, 4))
          + " java ...): " + e.getMessage());
    }
  }

  /**
   * {@code CLEAVE_HOME} as the launcher sets it, else the checkout these classes come from (the
   * directory holding forkd/ and sdk-python/): nodes find forkd's helpers and the runtime there.
   */
  public static Path cleaveHome() {
    String home = System.getenv("CLEAVE_HOME");
    if (home != null && !home.isBlank()) {
      return Path.of(home).toAbsolutePath().normalize();
    }
    try {
      Path at = Path.of(NodeLauncher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path p = at; p != null; p = p.getParent()) {
        if (Files.isDirectory(p.resolve("sdk-python")) && Files.isDirectory(p.resolve("forkd"))) {
          return p;
        }
      }
    } catch (URISyntaxException | SecurityException | NullPointerException e) {
      // no usable code location: reported below
    }
    throw new CliFailure("cannot tell where the Cleave checkout is: set CLEAVE_HOME to it or run ./cleave cluster up");
  }

  /** Nodes start in DIR/nodeK, so every classpath entry must be absolute. */
  private static String absoluteClasspath() {
    List<String> entries = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        entries.add(entry.endsWith("*") ? Path.of(entry.substring(0, entry.length() - 1)).toAbsolutePath() + "/*"
            : Path.of(entry).toAbsolutePath().toString());
      }
    }
    return String.join(File.pathSeparator, entries);
  }
}
