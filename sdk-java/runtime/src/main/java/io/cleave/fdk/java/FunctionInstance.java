package io.cleave.fdk.java;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.MalformedURLException;
import java.net.StandardProtocolFamily;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One instance of the function in the seed's JVM: its own class loader over the function's jars,
 * function object and RuntimeContext, and its own listener serving Fn's http-stream contract, one
 * call at a time. An instance whose function did not load (the seed's first) still listens and
 * answers each call 502, so the caller gets Fn's answer and the log the reason.
 */
final class FunctionInstance {
  private final String id;
  private final Path listenerPath;
  private final URLClassLoader loader;
  private final InstanceContext context;
  private final StartFailure failure;
  private final ServerSocketChannel listener;
  private final OutputStream output;
  private final ReentrantLock callSlot = new ReentrantLock();
  private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
  private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;

  private FunctionInstance(String id, Path listenerPath, URLClassLoader loader, InstanceContext context,
                           StartFailure failure, ServerSocketChannel listener, OutputStream output) {
    this.id = id;
    this.listenerPath = listenerPath;
    this.loader = loader;
    this.context = context;
    this.failure = failure;
    this.listener = listener;
    this.output = output;
  }

  /**
   * Loads the function, runs its configuration, then binds the listener (so readiness, the
   * listener's existence, means configured). With answerFailures a function that does not load
   * gets an instance answering 502 instead of a StartFailure. With an output, what the function
   * writes to System.out and System.err goes there (see RoutedOutput); null keeps the process's.
   */
  static FunctionInstance start(String id, Path listenerPath, String cmd, Path functionDir, Map<String, String> env,
                                OutputStream output, boolean answerFailures) throws StartFailure {
    StartFailure failure = null;
    URL[] jars;
    try {
      jars = jarUrls(functionDir);
    } catch (StartFailure e) {
      if (!answerFailures) {
        throw e;
      }
      failure = e;
      jars = new URL[0];
    }
    URLClassLoader loader = new URLClassLoader("instance-" + id, jars, FunctionInstance.class.getClassLoader());
    Thread self = Thread.currentThread();
    ClassLoader previous = self.getContextClassLoader();
    self.setContextClassLoader(loader);
    RoutedOutput.route(output);
    InstanceContext context = null;
    try {
      if (failure == null) {
        context = InstanceContext.configure(FunctionMethod.resolve(cmd, loader), env);
      }
    } catch (StartFailure e) {
      if (!answerFailures) {
        closeQuietly(loader);
        throw e;
      }
      failure = e;
    } catch (RuntimeException | LinkageError e) {
      StartFailure f = new StartFailure("the function could not be loaded", e);
      if (!answerFailures) {
        closeQuietly(loader);
        throw f;
      }
      failure = f;
    } finally {
      self.setContextClassLoader(previous);
      RoutedOutput.route(null);
    }
    ServerSocketChannel listener;
    try {
      listener = bindHidden(listenerPath);
    } catch (IOException e) {
      closeQuietly(loader);
      throw new StartFailure("cannot listen on " + listenerPath, e);
    }
    FunctionInstance instance = new FunctionInstance(id, listenerPath, loader, context, failure, listener, output);
    Thread acceptor = new Thread(null, instance.new Acceptor(), "fn-" + id + "-accept", 256 * 1024);
    acceptor.setDaemon(true);
    acceptor.start();
    if (failure != null) {
      System.err.println("cleave-fdk-java: instance " + id + " cannot run the function, calls answer 502: " + failure.getMessage());
      if (failure.getCause() != null) {
        failure.getCause().printStackTrace(System.err);
      }
    }
    return instance;
  }

  String id() {
    return id;
  }

  /** Closes the listener and connections, interrupts a call in flight, drops the class loader. */
  void stop() {
    stopped = true;
    closeQuietly(listener);
    try {
      Files.deleteIfExists(listenerPath);
    } catch (IOException e) {
      System.err.println("cleave-fdk-java: cannot remove " + listenerPath + ": " + e);
    }
    for (SocketChannel c : connections) {
      closeQuietly(c);
    }
    for (Thread t : workers) {
      t.interrupt();
    }
    closeQuietly(loader);
    if (output != null) {
      closeQuietly(output);
    }
  }

  // Plain classes rather than lambdas: the first lambda costs a cold JVM tens of milliseconds.
  private final class Acceptor implements Runnable {
    @Override
    public void run() {
      acceptLoop();
    }
  }

  private final class Connection implements Runnable {
    private final SocketChannel channel;

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    @Override
    public void run() {
      serve(channel);
    }
  }

  private void acceptLoop() {
    while (!stopped) {
      SocketChannel conn;
      try {
        conn = listener.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!stopped) {
          System.err.println("cleave-fdk-java: instance " + id + " stops accepting: " + e);
        }
        return;
      }
      connections.add(conn);
      // A thread per connection: the platform may open a new connection while an idle one is
      // kept alive; calls still run one at a time (callSlot).
      Thread worker = new Thread(null, new Connection(conn), "fn-" + id + "-conn", 512 * 1024);
      worker.setDaemon(true);
      workers.add(worker);
      worker.start();
    }
  }

  private void serve(SocketChannel conn) {
    try (conn) {
      InputStream in = new BufferedInputStream(Channels.newInputStream(conn), 16 * 1024);
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(conn), 16 * 1024);
      while (!stopped) {
        HttpExchange.Request request;
        try {
          request = HttpExchange.read(in);
        } catch (HttpExchange.BadRequest e) {
          byte[] body = ("{\"message\":" + ControlJson.quote(e.getMessage()) + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
          HttpExchange.write(out, e.status, com.fnproject.fn.api.Headers.emptyHeaders().setHeader("Content-Type", "application/json"), body, false);
          return;
        }
        if (request == null) {
          return;
        }
        AtomicBoolean answered = new AtomicBoolean();
        long deadline = FunctionCall.deadlineMillis(request.headers());
        DeadlineWatch watch = deadline < 0 ? null : DeadlineWatch.start(deadline - System.currentTimeMillis(), conn, out,
            answered, request.headers().get("Fn-Call-Id").orElse(""));
        FunctionCall.Answer answer = answer(request);
        if (watch != null) {
          watch.cancel();
        }
        if (stopped || !answered.compareAndSet(false, true)) {
          return;
        }
        Thread.interrupted(); // an interrupt meant for the call must not break the answer's write
        HttpExchange.write(out, answer.status(), answer.headers(), answer.body(), request.keepAlive());
        if (!request.keepAlive()) {
          return;
        }
      }
    } catch (IOException e) {
      // The platform closed the connection (or the instance stopped): nothing to answer.
    } finally {
      connections.remove(conn);
      workers.remove(Thread.currentThread());
    }
  }

  private FunctionCall.Answer answer(HttpExchange.Request request) {
    if (!request.path().equals("/call") && !request.path().startsWith("/call?")) {
      return new FunctionCall.Answer(404, com.fnproject.fn.api.Headers.emptyHeaders().setHeader("Content-Type", "application/json"),
          "{\"message\":\"not found: the function answers POST /call\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    if (failure != null) {
      System.err.println("cleave-fdk-java: the function cannot run: " + failure.getMessage());
      System.err.flush();
      return FunctionCall.Answer.failed(502);
    }
    try {
      callSlot.lockInterruptibly();
    } catch (InterruptedException e) {
      return FunctionCall.Answer.failed(504); // its deadline passed (answered already) or the instance stopped
    }
    Thread self = Thread.currentThread();
    ClassLoader previous = self.getContextClassLoader();
    self.setContextClassLoader(loader);
    RoutedOutput.route(output);
    try {
      return FunctionCall.run(context, request);
    } finally {
      RoutedOutput.route(null);
      self.setContextClassLoader(previous);
      callSlot.unlock();
    }
  }

  /** Binds under a temporary name, then renames into place: whoever sees the path can connect. */
  private static ServerSocketChannel bindHidden(Path path) throws IOException {
    Path temp = path.resolveSibling(".~" + path.getFileName());
    Files.deleteIfExists(temp);
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.bind(UnixDomainSocketAddress.of(temp), 128);
      Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-rw-rw-"));
      Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return ch;
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      Files.deleteIfExists(temp);
      throw e;
    }
  }

  /** lib/*.jar of the function directory, in name order (the order deploy wrote cds/classpath in). */
  static URL[] jarUrls(Path functionDir) throws StartFailure {
    Path lib = functionDir.resolve("lib");
    if (!Files.isDirectory(lib)) {
      throw new StartFailure("the function has no lib/ directory in " + functionDir + " (a Java function is deployed with cleave deploy)");
    }
    List<Path> jars = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(lib, "*.jar")) {
      for (Path p : ds) {
        jars.add(p);
      }
    } catch (IOException e) {
      throw new StartFailure("cannot list " + lib, e);
    }
    jars.sort(null);
    URL[] urls = new URL[jars.size()];
    try {
      for (int i = 0; i < urls.length; i++) {
        urls[i] = jars.get(i).toUri().toURL();
      }
    } catch (MalformedURLException e) {
      throw new StartFailure("bad jar path", e);
    }
    return urls;
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing is best effort: the instance is going away either way
    }
  }
}
