package io.cleave.fdk.java;

import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A JVM seed: the entry point forkd starts for a Java function. It serves the first instance on
 * FN_LISTENER and, when CLEAVE_JAVA_CONTROL names a socket, starts and stops more instances of the
 * same function in this JVM on request, one JSON object per line and one answer line each:
 * <pre>
 * {"op":"start","id":"1","listener":"/abs/fn-1.sock","env":{"K":"V"},"output":"/abs/output"}
 *                                                           -&gt; {"ok":true,"init_ms":1.2}
 * {"op":"stop","id":"1"}                                               -&gt; {"ok":true}
 * {"op":"stats"}  -&gt; {"ok":true,"instances":2,"heap_used_bytes":..,"heap_committed_bytes":..}
 * </pre>
 * A start answers after @FnConfiguration ran and the listener is bound; "env" is the instance's
 * whole environment (its configuration); "output" (optional) a file the instance's System.out and
 * System.err lines go to (appended), so each instance's log is its own; a failure answers {"ok":false,"error":"..."}. The first
 * instance's id is CLEAVE_INSTANCE_ID, else "0". Without a control socket it is a plain
 * one-instance Fn runtime. With CLEAVE_JAVA_TRAIN set it runs {@link Training} instead (deploy's
 * AppCDS archive run).
 */
public final class JavaSeed {
  private final String cmd;
  private final Path functionDir;
  private final Map<String, FunctionInstance> instances = new ConcurrentHashMap<>();

  JavaSeed(String cmd, Path functionDir) {
    this.cmd = cmd;
    this.functionDir = functionDir;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    String cmd = firstSet(env.get("CLEAVE_JAVA_CMD"), env.get("FN_CMD"), args.length > 0 ? args[0] : null);
    if (env.containsKey("CLEAVE_JAVA_TRAIN")) {
      System.exit(Training.run(cmd, Path.of(env.getOrDefault("CLEAVE_FUNCTION_DIR", "/function")), InstanceConfig.fromEnv(env)));
    }
    String listener = env.get("FN_LISTENER");
    if (cmd == null || listener == null) {
      System.err.println("cleave-fdk-java: needs FN_LISTENER=unix:/path/fn.sock and CLEAVE_JAVA_CMD (or an argument)"
          + " naming the function as com.example.fn.HelloFunction::handleRequest");
      System.exit(2);
    }
    String format = env.getOrDefault("FN_FORMAT", "http-stream");
    if (!format.equals("http-stream")) {
      System.err.println("cleave-fdk-java: FN_FORMAT " + format + " is not supported (http-stream only)");
      System.exit(2);
    }
    JavaSeed seed = new JavaSeed(cmd, Path.of(env.getOrDefault("CLEAVE_FUNCTION_DIR", "/function")));
    String control = env.get("CLEAVE_JAVA_CONTROL");
    ServerSocketChannel controlChannel = control == null ? null : seed.bindControl(unixPath(control));
    String firstId = env.getOrDefault("CLEAVE_INSTANCE_ID", "0");
    seed.instances.put(firstId, FunctionInstance.start(firstId, unixPath(listener), cmd, seed.functionDir,
        InstanceConfig.fromEnv(env), null, true));
    if (controlChannel == null) {
      Thread.currentThread().join();
    }
    seed.serveControl(controlChannel);
  }

  private ServerSocketChannel bindControl(Path path) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    ch.bind(UnixDomainSocketAddress.of(path));
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    return ch;
  }

  /** Serves control connections one after another (forkd keeps one open); never returns. */
  private void serveControl(ServerSocketChannel ch) throws IOException {
    while (true) {
      try (SocketChannel conn = ch.accept()) {
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(conn), StandardCharsets.UTF_8));
        OutputStream out = Channels.newOutputStream(conn);
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.isBlank()) {
            continue;
          }
          out.write((handle(line) + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        }
      } catch (IOException e) {
        System.err.println("cleave-fdk-java: control connection ended: " + e);
      }
    }
  }

  /** One control request's answer line. */
  String handle(String line) {
    Map<String, Object> req;
    try {
      req = ControlJson.parseObject(line);
    } catch (IllegalArgumentException e) {
      return error(e.getMessage());
    }
    Object op = req.get("op");
    if ("start".equals(op)) {
      return start(req);
    }
    if ("stop".equals(op)) {
      Object id = req.get("id");
      FunctionInstance instance = id instanceof String s ? instances.remove(s) : null;
      if (instance == null) {
        return error("no instance with id " + id);
      }
      instance.stop();
      return "{\"ok\":true}";
    }
    if ("stats".equals(op)) {
      Runtime rt = Runtime.getRuntime();
      long committed = rt.totalMemory();
      return "{\"ok\":true,\"instances\":" + instances.size() + ",\"heap_used_bytes\":" + (committed - rt.freeMemory())
          + ",\"heap_committed_bytes\":" + committed + "}";
    }
    return error("unknown op " + op + " (start, stop, stats)");
  }

  private synchronized String start(Map<String, Object> req) {
    if (!(req.get("id") instanceof String id) || id.isEmpty()) {
      return error("start needs an id (a non-empty string)");
    }
    if (!(req.get("listener") instanceof String listener) || listener.isEmpty()) {
      return error("start needs a listener (the socket's absolute path)");
    }
    Path path = Path.of(listener.startsWith("unix:") ? listener.substring("unix:".length()) : listener);
    if (!path.isAbsolute()) {
      return error("the listener must be an absolute path, not " + listener);
    }
    Map<String, String> env = new LinkedHashMap<>();
    Object rawEnv = req.get("env");
    if (rawEnv instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!(e.getValue() instanceof String v)) {
          return error("env values must be strings (" + e.getKey() + ")");
        }
        env.put((String) e.getKey(), v);
      }
    } else if (rawEnv != null) {
      return error("env must be an object of strings");
    }
    if (instances.containsKey(id)) {
      return error("an instance with id " + id + " is running");
    }
    Object outputPath = req.get("output");
    if (outputPath != null && !(outputPath instanceof String o && Path.of(o).isAbsolute())) {
      return error("output must be an absolute path (the instance's own output file)");
    }
    long t0 = System.nanoTime();
    OutputStream output = null;
    try {
      if (outputPath != null) {
        RoutedOutput.install();
        output = new FileOutputStream((String) outputPath, true);
      }
      FunctionInstance instance = FunctionInstance.start(id, path, cmd, functionDir, InstanceConfig.fromEnv(env), output, false);
      instances.put(id, instance);
    } catch (StartFailure e) {
      closeQuietly(output);
      return error(e.getMessage());
    } catch (IOException e) {
      return error("cannot open the output file " + outputPath + ": " + e.getMessage());
    }
    double ms = (System.nanoTime() - t0) / 1e6;
    return "{\"ok\":true,\"init_ms\":" + String.format(Locale.ROOT, "%.3f", ms) + "}";
  }

  private static void closeQuietly(OutputStream out) {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        // the start failed anyway
      }
    }
  }

  private static String error(String message) {
    return "{\"ok\":false,\"error\":" + ControlJson.quote(String.valueOf(message)) + "}";
  }

  private static Path unixPath(String address) {
    return Path.of(address.startsWith("unix:") ? address.substring("unix:".length()) : address);
  }

  private static String firstSet(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }
}
