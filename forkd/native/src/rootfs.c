#include "rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "report.h"

/* Host directories whose entries named python3* are the interpreter and its libraries. */
static const char *const PYTHON_DIRS[] = {"/usr/bin", "/usr/lib", "/usr/local/lib"};

/*
 * Host paths the runtime needs besides Python's own: the usr-merge links (the loader is found as
 * /lib64/ld-linux-x86-64.so.2), the shared libraries (numpy's BLAS is reached through
 * /etc/alternatives), TLS settings and certificates, the loader cache, the node's time zone and
 * the time zone database (zoneinfo).
 * Absent ones are skipped. Symbolic links are mirrored as links, except /etc/localtime, whose
 * target (under /usr/share/zoneinfo) is bound in its place.
 */
static const char *const RUNTIME_PATHS[] = {"/bin", "/lib", "/lib64", "/sbin", "/usr/lib/x86_64-linux-gnu",
                                            "/usr/lib64", "/usr/lib/ssl", "/usr/share/zoneinfo", "/etc/ld.so.cache",
                                            "/etc/alternatives", "/etc/ssl", "/usr/lib/jvm"};

/*
 * What a JVM reads from the host's /etc: Debian's JDK links its jvm.cfg, java.security and other
 * settings there from /usr/lib/jvm/<jdk>/conf and lib. Mirrored into the container's /etc tmpfs.
 */
static const char *const JVM_ETC[] = {"/etc/java-17-openjdk"};

/* Host devices an unprivileged runtime needs. */
static const char *const DEVICES[] = {"null", "zero", "full", "random", "urandom"};

static void path_join(char *out, size_t size, const char *a, const char *b) {
  int n = snprintf(out, size, "%s/%s", a, b);
  if (n < 0 || (size_t)n >= size) {
    fail_plain("path too long: %s/%s", a, b);
  }
}

static void make_dir(const char *path, mode_t mode) {
  struct stat st;
  /* An existing directory may sit on a read-only mount (EROFS rather than EEXIST). */
  if (mkdir(path, mode) != 0 && !(stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
    fail("mkdir %s", path);
  }
}

/* mkdir -p of the parents of root + host_path (host_path absolute). */
static void make_parents(const char *root, const char *host_path) {
  char path[PATH_MAX];
  path_join(path, sizeof path, root, host_path + 1);
  for (char *slash = path + strlen(root) + 1; (slash = strchr(slash, '/')) != NULL; slash++) {
    *slash = '\0';
    make_dir(path, 0755);
    *slash = '/';
  }
}

static void make_file(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("create mount point %s", path);
  }
  if (close(fd) != 0) {
    fail("close mount point %s", path);
  }
}

static void write_file(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("create %s", path);
  }
  size_t len = strlen(content);
  if (write(fd, content, len) != (ssize_t)len) {
    fail("write %s", path);
  }
  if (close(fd) != 0) {
    fail("close %s", path);
  }
}

static void do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
  if (mount(src, dst, type, flags, data) != 0) {
    fail("mount %s (%s) on %s with '%s'", src ? src : "-", type ? type : "bind", dst, data ? data : "");
  }
}

static void set_attr(const char *path, unsigned long long set, int recursive) {
  struct mount_attr attr = {.attr_set = set};
  if (mount_setattr(AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &attr, sizeof attr) != 0) {
    fail("mount_setattr 0x%llx on %s", set, path);
  }
}

/*
 * Makes host_path (absolute) visible at the same path under root: a directory as a recursive
 * bind, a file as a file bind, a symbolic link as the same link (or, with follow, its target's
 * contents bound in its place). A path the host lacks is skipped.
 */
static void mirror(const char *root, const char *host_path, int follow) {
  char dst[PATH_MAX], link[PATH_MAX];
  struct stat st;
  if ((follow ? stat(host_path, &st) : lstat(host_path, &st)) != 0) {
    if (errno == ENOENT) {
      return;
    }
    fail("stat %s", host_path);
  }
  make_parents(root, host_path);
  path_join(dst, sizeof dst, root, host_path + 1);
  if (S_ISLNK(st.st_mode)) {
    ssize_t n = readlink(host_path, link, sizeof link - 1);
    if (n < 0) {
      fail("readlink %s", host_path);
    }
    link[n] = '\0';
    if (symlink(link, dst) != 0) {
      fail("symlink %s -> %s", dst, link);
    }
  } else if (S_ISDIR(st.st_mode)) {
    make_dir(dst, 0755);
    do_mount(host_path, dst, NULL, MS_BIND | MS_REC, NULL);
  } else if (S_ISREG(st.st_mode)) {
    make_file(dst);
    do_mount(host_path, dst, NULL, MS_BIND, NULL);
  }
}

/* Mirrors the entries of host_dir named python3 or python3.N (not python3-config and the like). */
static void mirror_python(const char *root, const char *host_dir) {
  DIR *dir = opendir(host_dir);
  if (dir == NULL) {
    if (errno == ENOENT) {
      return;
    }
    fail("open %s", host_dir);
  }
  char host[PATH_MAX];
  struct dirent *d;
  errno = 0;
  while ((d = readdir(dir)) != NULL) {
    if (strncmp(d->d_name, "python3", 7) == 0 && strspn(d->d_name + 7, ".0123456789") == strlen(d->d_name + 7)) {
      path_join(host, sizeof host, host_dir, d->d_name);
      mirror(root, host, 0);
    }
    errno = 0;
  }
  if (errno != 0) {
    fail("read %s", host_dir);
  }
  if (closedir(dir) != 0) {
    fail("close %s", host_dir);
  }
}

static void make_dev(const char *root, unsigned long long tmp_bytes) {
  char dev[PATH_MAX], path[PATH_MAX], host[PATH_MAX], data[64];
  path_join(dev, sizeof dev, root, "dev");
  do_mount("cleave-dev", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755");
  for (size_t i = 0; i < sizeof DEVICES / sizeof DEVICES[0]; i++) {
    path_join(path, sizeof path, dev, DEVICES[i]);
    path_join(host, sizeof host, "/dev", DEVICES[i]);
    make_file(path);
    do_mount(host, path, NULL, MS_BIND, NULL);
  }
  static const char *const LINKS[][2] = {
      {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
  for (size_t i = 0; i < sizeof LINKS / sizeof LINKS[0]; i++) {
    path_join(path, sizeof path, dev, LINKS[i][0]);
    if (symlink(LINKS[i][1], path) != 0) {
      fail("symlink %s", path);
    }
  }
  path_join(path, sizeof path, dev, "shm");
  make_dir(path, 01777);
  snprintf(data, sizeof data, "size=%llu,mode=1777", tmp_bytes);
  do_mount("cleave-shm", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data);
  do_mount(NULL, dev, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL);
}

static void bind_into(const char *src, const char *root, const char *at, unsigned long long attrs);

void rootfs_prepare(const char *root, unsigned long long tmp_bytes, const char *runtime, const char *java_runtime,
                    const char *kmod) {
  char path[PATH_MAX], data[64];
  /* Nothing done here may propagate back to the host. */
  do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  do_mount("cleave-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755");
  for (size_t i = 0; i < sizeof PYTHON_DIRS / sizeof PYTHON_DIRS[0]; i++) {
    mirror_python(root, PYTHON_DIRS[i]);
  }
  for (size_t i = 0; i < sizeof RUNTIME_PATHS / sizeof RUNTIME_PATHS[0]; i++) {
    mirror(root, RUNTIME_PATHS[i], 0);
  }
  static const char *const DIRS[] = {"etc", "proc", "dev", "tmp", "function", "cleave", "cleave/run",
                                      "cleave/children", "cleave/sdk-python", "cleave/sdk-java", "cleave/kmod",
                                      "cleave/pageserver",
                                      "cleave/pagecache"};
  for (size_t i = 0; i < sizeof DIRS / sizeof DIRS[0]; i++) {
    path_join(path, sizeof path, root, DIRS[i]);
    make_dir(path, 0755);
  }
  set_attr(root, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1);
  /* /etc gets files written per instance (passwd, group, hosts): a tmpfs of its own, read-only once entered. */
  path_join(path, sizeof path, root, "etc");
  do_mount("cleave-etc", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=755");
  mirror(root, "/etc/ld.so.cache", 0);
  mirror(root, "/etc/localtime", 1);
  mirror(root, "/etc/alternatives", 0);
  mirror(root, "/etc/ssl", 0);
  for (size_t i = 0; i < sizeof JVM_ETC / sizeof JVM_ETC[0]; i++) {
    mirror(root, JVM_ETC[i], 0);
  }
  path_join(path, sizeof path, root, "tmp");
  snprintf(data, sizeof data, "size=%llu,mode=1777", tmp_bytes);
  do_mount("cleave-tmp", path, "tmpfs", MS_NOSUID | MS_NODEV, data);
  make_dev(root, tmp_bytes);
  if (runtime != NULL) {
    bind_into(runtime, root, "cleave/sdk-python", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  }
  if (java_runtime != NULL) {
    bind_into(java_runtime, root, "cleave/sdk-java", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  }
  if (kmod != NULL) {
    bind_into(kmod, root, "cleave/kmod", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  }
  /* Mounted by the pid namespace's init, so it shows that namespace. */
  path_join(path, sizeof path, root, "proc");
  do_mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

static void bind_into(const char *src, const char *root, const char *at, unsigned long long attrs) {
  char dst[PATH_MAX];
  path_join(dst, sizeof dst, root, at);
  do_mount(src, dst, NULL, MS_BIND | MS_REC, NULL);
  set_attr(dst, attrs, 1);
}

/*
 * The instance's identity files: its uid and gid named, its hostname resolving to loopback; for an
 * outbound instance with nameservers, its resolv.conf.
 */
static void write_etc(const char *root, const struct order *o) {
  char etc[PATH_MAX], path[PATH_MAX], text[1024];
  path_join(etc, sizeof etc, root, "etc");
  int n = snprintf(text, sizeof text, "root:x:0:0:root:/root:/usr/sbin/nologin\nfn:x:%u:%u:function:/tmp:/usr/sbin/nologin\n",
                   (unsigned)o->uid, (unsigned)o->gid);
  if (n < 0 || (size_t)n >= sizeof text) {
    fail_plain("passwd entry too long");
  }
  path_join(path, sizeof path, etc, "passwd");
  write_file(path, text);
  snprintf(text, sizeof text, "root:x:0:\nfn:x:%u:\n", (unsigned)o->gid);
  path_join(path, sizeof path, etc, "group");
  write_file(path, text);
  n = snprintf(text, sizeof text, "127.0.0.1\tlocalhost %s\n::1\tlocalhost %s\n", o->hostname, o->hostname);
  if (n < 0 || (size_t)n >= sizeof text) {
    fail_plain("hostname too long: %s", o->hostname);
  }
  path_join(path, sizeof path, etc, "hosts");
  write_file(path, text);
  path_join(path, sizeof path, etc, "nsswitch.conf");
  write_file(path, "passwd: files\ngroup: files\nhosts: files dns\n");
  if (o->nnameservers > 0) {
    size_t len = 0;
    for (size_t i = 0; i < o->nnameservers; i++) {
      n = snprintf(text + len, sizeof text - len, "nameserver %s\n", o->nameservers[i]);
      if (n < 0 || (size_t)n >= sizeof text - len) {
        fail_plain("resolv.conf too long");
      }
      len += (size_t)n;
    }
    path_join(path, sizeof path, etc, "resolv.conf");
    write_file(path, text);
  }
  set_attr(etc, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 1);
}

void rootfs_enter(const char *root, const struct order *o) {
  write_etc(root, o);
  bind_into(o->bundle, root, "function", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
  bind_into(o->run, root, "cleave/run", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (o->children != NULL) {
    bind_into(o->children, root, "cleave/children", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  }
  if (o->pageserver != NULL) {
    bind_into(o->pageserver, root, "cleave/pageserver",
              MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  }
  if (o->pagecache != NULL) {
    bind_into(o->pagecache, root, "cleave/pagecache", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  }
  if (sethostname(o->hostname, strlen(o->hostname)) != 0) {
    fail("sethostname %s", o->hostname);
  }
  if (chdir(root) != 0) {
    fail("chdir %s", root);
  }
  /* Stack the new root over the old one, then drop the old one: no host path stays reachable. */
  if (syscall(SYS_pivot_root, ".", ".") != 0) {
    fail("pivot_root into %s", root);
  }
  if (umount2(".", MNT_DETACH) != 0) {
    fail("detach the host root");
  }
  if (chdir("/") != 0) {
    fail("chdir / in the container");
  }
}
