package io.cleave.forkd;

import java.nio.ByteBuffer;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls forkd makes from Java (jnr-ffi): inotify for readiness, a netlink socket
 * for process exit events, pidfds for race-free kills, and the cgroup2 remount. Public only
 * because jnr-ffi implements it from another class loader.
 */
public interface LibC {
  LibC INSTANCE = LibraryLoader.create(LibC.class).load("c");

  int AF_NETLINK = 16;
  int SOCK_DGRAM = 2;
  int SOCK_CLOEXEC = 0x80000;
  int NETLINK_CONNECTOR = 11;
  int SOL_SOCKET = 1;
  int SO_RCVTIMEO = 20;
  int SO_RCVBUF = 8;
  int IN_CLOEXEC = 0x80000;
  int IN_NONBLOCK = 0x800;
  int IN_CREATE = 0x100;
  int IN_MOVED_TO = 0x80;
  short POLLIN = 0x1;
  int SIGKILL = 9;
  int EINTR = 4;
  int EAGAIN = 11;
  int ESRCH = 3;
  int ENOBUFS = 105;
  int ENXIO = 6;
  int O_WRONLY = 1;
  int O_NONBLOCK = 04000;
  int O_CLOEXEC = 02000000;
  long SYS_PIDFD_SEND_SIGNAL = 424;
  long SYS_PIDFD_OPEN = 434;
  long MS_REMOUNT = 32;

  int socket(int domain, int type, int protocol);

  int bind(int fd, @In ByteBuffer address, int length);

  @ssize_t long send(int fd, @In ByteBuffer buffer, @size_t long length, int flags);

  @ssize_t long recv(int fd, @Out ByteBuffer buffer, @size_t long length, int flags);

  int setsockopt(int fd, int level, int name, @In ByteBuffer value, int length);

  int close(int fd);

  int inotify_init1(int flags);

  int inotify_add_watch(int fd, String path, int mask);

  int inotify_rm_watch(int fd, int wd);

  int poll(ByteBuffer fds, long count, int timeoutMs);

  @ssize_t long read(int fd, @Out ByteBuffer buffer, @size_t long length);

  long syscall(long number, long a, long b, long c, long d);

  int mount(String source, String target, String type, long flags, String data);

  int chmod(String path, int mode);

  int mkfifo(String path, int mode);

  int open(String path, int flags);

  @ssize_t long write(int fd, @In ByteBuffer buffer, @size_t long length);

  int lchown(String path, int uid, int gid);

  String strerror(int errno);

  static int errno() {
    return Runtime.getRuntime(INSTANCE).getLastError();
  }

  /** "what: strerror(errno)" for the error that just happened. */
  static String describe(String what) {
    return what + ": " + INSTANCE.strerror(errno());
  }
}
