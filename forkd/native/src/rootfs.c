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

/* Top-level names the container gets its own version of. */
static const char *const OWN[] = {"proc", "dev", "tmp", "function", "cleave"};

/* Host devices an unprivileged runtime needs. */
static const char *const DEVICES[] = {"null", "zero", "full", "random", "urandom", "tty"};

static void path_join(char *out, size_t size, const char *a, const char *b) {
  int n = snprintf(out, size, "%s/%s", a, b);
  if (n < 0 || (size_t)n >= size) {
    fail_plain("path too long: %s/%s", a, b);
  }
}

static int is_own(const char *name) {
  for (size_t i = 0; i < sizeof OWN / sizeof OWN[0]; i++) {
    if (strcmp(name, OWN[i]) == 0) {
      return 1;
    }
  }
  return 0;
}

static void make_dir(const char *path, mode_t mode) {
  if (mkdir(path, mode) != 0 && errno != EEXIST) {
    fail("mkdir %s", path);
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

/* Mirrors each top-level host entry into the skeleton: directories as recursive binds,
 * symlinks (usr-merged /bin, /lib ...) as symlinks, files as file binds. */
static void mirror_host_root(const char *root) {
  DIR *dir = opendir("/");
  if (dir == NULL) {
    fail("open the host root");
  }
  char dst[PATH_MAX], src[PATH_MAX], link[PATH_MAX];
  struct dirent *d;
  errno = 0;
  while ((d = readdir(dir)) != NULL) {
    if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 || is_own(d->d_name)) {
      continue;
    }
    path_join(src, sizeof src, "", d->d_name);
    path_join(dst, sizeof dst, root, d->d_name);
    struct stat st;
    if (lstat(src, &st) != 0) {
      fail("lstat %s", src);
    }
    if (S_ISLNK(st.st_mode)) {
      ssize_t n = readlink(src, link, sizeof link - 1);
      if (n < 0) {
        fail("readlink %s", src);
      }
      link[n] = '\0';
      if (symlink(link, dst) != 0) {
        fail("symlink %s -> %s", dst, link);
      }
    } else if (S_ISDIR(st.st_mode)) {
      make_dir(dst, 0755);
      do_mount(src, dst, NULL, MS_BIND | MS_REC, NULL);
    } else if (S_ISREG(st.st_mode)) {
      make_file(dst);
      do_mount(src, dst, NULL, MS_BIND, NULL);
    }
    errno = 0;
  }
  if (errno != 0) {
    fail("read the host root directory");
  }
  if (closedir(dir) != 0) {
    fail("close the host root directory");
  }
}

static void mask(const char *root, const char *host_dir) {
  char dst[PATH_MAX];
  path_join(dst, sizeof dst, root, host_dir[0] == '/' ? host_dir + 1 : host_dir);
  struct stat st;
  if (stat(dst, &st) != 0) {
    if (errno == ENOENT) {
      return; /* not visible in the view anyway */
    }
    fail("stat %s", dst);
  }
  if (!S_ISDIR(st.st_mode)) {
    fail_plain("cannot mask %s: not a directory", host_dir);
  }
  do_mount("cleave-mask", dst, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=755");
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

void rootfs_prepare(const char *root, unsigned long long tmp_bytes, const char *runtime, const char *kmod,
                    const char *const *masks, size_t nmasks) {
  char path[PATH_MAX], data[64];
  /* Nothing done here may propagate back to the host. */
  do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
  do_mount("cleave-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755");
  mirror_host_root(root);
  static const char *const DIRS[] = {"proc", "dev", "tmp", "function", "cleave", "cleave/run", "cleave/children",
                                      "cleave/sdk-python", "cleave/kmod", "cleave/pageserver", "cleave/pagecache"};
  for (size_t i = 0; i < sizeof DIRS / sizeof DIRS[0]; i++) {
    path_join(path, sizeof path, root, DIRS[i]);
    make_dir(path, 0755);
  }
  set_attr(root, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1);
  for (size_t i = 0; i < nmasks; i++) {
    mask(root, masks[i]);
  }
  path_join(path, sizeof path, root, "tmp");
  snprintf(data, sizeof data, "size=%llu,mode=1777", tmp_bytes);
  do_mount("cleave-tmp", path, "tmpfs", MS_NOSUID | MS_NODEV, data);
  make_dev(root, tmp_bytes);
  if (runtime != NULL) {
    bind_into(runtime, root, "cleave/sdk-python", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
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

void rootfs_enter(const char *root, const struct order *o) {
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
