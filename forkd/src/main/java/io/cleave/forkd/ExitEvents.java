package io.cleave.forkd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Exit statuses of fork children from the kernel's process events connector. Their parent is the
 * seed, which reaps them, so no wait status would otherwise reach forkd. Only watched pids are
 * kept. Netlink multicast can drop events under pressure; then the status stays unknown (the
 * instance still shows as exited, from /proc).
 */
final class ExitEvents implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger("forkd.exits");
  private static final int CN_IDX_PROC = 1;
  private static final int CN_VAL_PROC = 1;
  private static final int PROC_CN_MCAST_LISTEN = 1;
  private static final int PROC_EVENT_EXIT = 0x80000000;
  private static final int NLMSG_HDRLEN = 16;
  private static final int CN_MSG_LEN = 20;

  /** Watched pid → wait status, or {@link #RUNNING} until the exit event arrives. */
  private final Map<Long, Integer> watched = new ConcurrentHashMap<>();
  private static final int RUNNING = Integer.MIN_VALUE;
  /** Touched by the reader thread only. */
  private final ByteBuffer buf = direct(8192);
  private final FdReader reader;

  private ExitEvents(int fd) {
    this.reader = FdReader.start(fd, "forkd-exit-events", this::read);
  }

  /** Subscribes to exit events; null (with a warning) when the kernel or privileges do not allow it. */
  static ExitEvents open() {
    LibC c = LibC.INSTANCE;
    int fd = c.socket(LibC.AF_NETLINK, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, LibC.NETLINK_CONNECTOR);
    if (fd < 0) {
      LOG.warning(LibC.describe("netlink connector socket") + "; fork children's exit codes will be unknown");
      return null;
    }
    ByteBuffer addr = direct(12);
    addr.putShort(0, (short) LibC.AF_NETLINK).putInt(4, 0).putInt(8, CN_IDX_PROC);
    ByteBuffer timeout = direct(16);
    timeout.putLong(0, 1).putLong(8, 0); // 1 s receive timeout, so close() is noticed
    ByteBuffer rcvbuf = direct(4);
    rcvbuf.putInt(0, 4 << 20);
    if (c.bind(fd, addr, 12) != 0
        || c.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeout, 16) != 0
        || c.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, rcvbuf, 4) != 0) {
      LOG.warning(LibC.describe("netlink connector setup") + "; fork children's exit codes will be unknown");
      c.close(fd);
      return null;
    }
    // Kernels >= 6.6 take proc_input {mcast_op, event_type} and send exit events only; older
    // ones take the bare mcast_op (and ignore anything longer).
    int payload = filtersEvents() ? 8 : 4;
    ByteBuffer msg = direct(NLMSG_HDRLEN + CN_MSG_LEN + payload);
    msg.putInt(0, NLMSG_HDRLEN + CN_MSG_LEN + payload).putShort(4, (short) 3 /* NLMSG_DONE */)
        .putShort(6, (short) 0).putInt(8, 0).putInt(12, 0);
    msg.putInt(16, CN_IDX_PROC).putInt(20, CN_VAL_PROC).putInt(24, 0).putInt(28, 0)
        .putShort(32, (short) payload).putShort(34, (short) 0);
    msg.putInt(36, PROC_CN_MCAST_LISTEN);
    if (payload == 8) {
      msg.putInt(40, PROC_EVENT_EXIT);
    }
    if (c.send(fd, msg, msg.capacity(), 0) < 0) {
      LOG.warning(LibC.describe("subscribe to process events") + "; fork children's exit codes will be unknown");
      c.close(fd);
      return null;
    }
    return new ExitEvents(fd);
  }

  private static boolean filtersEvents() {
    String[] v = System.getProperty("os.version", "0.0").split("[.-]");
    try {
      int major = Integer.parseInt(v[0]);
      int minor = v.length > 1 ? Integer.parseInt(v[1]) : 0;
      return major > 6 || major == 6 && minor >= 6;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  void watch(long pid) {
    watched.putIfAbsent(pid, RUNNING);
  }

  void forget(long pid) {
    watched.remove(pid);
  }

  /** The wait status once the exit was seen, else null. */
  Integer status(long pid) {
    Integer s = watched.get(pid);
    return s == null || s == RUNNING ? null : s;
  }

  private boolean read(FdReader r) {
    buf.clear();
    long n = LibC.INSTANCE.recv(r.fd(), buf, buf.capacity(), 0);
    if (n < 0) {
      int errno = LibC.errno();
      if (errno == LibC.ENOBUFS) {
        LOG.warning("process events overflowed; some fork children's exit codes are lost");
      } else if (errno != LibC.EAGAIN && errno != LibC.EINTR && !r.closing()) {
        LOG.warning(LibC.describe("recv process events"));
        return false;
      }
      return true;
    }
    for (int off = 0; off + NLMSG_HDRLEN + CN_MSG_LEN + 24 <= n; ) {
      int len = buf.getInt(off);
      int event = off + NLMSG_HDRLEN + CN_MSG_LEN;
      // proc_event: what, cpu, timestamp_ns, then exit {pid, tgid, exit_code, exit_signal, ...}
      if (buf.getInt(event) == PROC_EVENT_EXIT) {
        long pid = buf.getInt(event + 16);
        long tgid = buf.getInt(event + 20);
        int code = buf.getInt(event + 24);
        if (pid == tgid) {
          watched.computeIfPresent(pid, (p, old) -> code);
        }
      }
      if (len < NLMSG_HDRLEN) {
        break;
      }
      off += (len + 3) & ~3;
    }
    return true;
  }

  private static ByteBuffer direct(int size) {
    return ByteBuffer.allocateDirect(size).order(ByteOrder.nativeOrder());
  }

  @Override
  public void close() {
    reader.close();
  }
}
