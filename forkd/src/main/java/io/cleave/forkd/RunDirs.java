package io.cleave.forkd;

import io.cleave.common.error.ApiError;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.logging.Logger;
import java.util.stream.Stream;

/**
 * Instances' run dirs (docs/CONTRACTS.md, "Data directory"): made so that an instance can create
 * its socket there but not replace forkd's files, closed once it is ready, read and removed
 * without following links the instance may have planted.
 */
final class RunDirs {
  private static final Logger LOG = Logger.getLogger("forkd");
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;
  private static final int S_IFDIR = 0040000;
  /** forkds' homes on the tmpfs are {@code <tmpfs>/cleave-forkd-<tag>}. */
  static final String HOME_PREFIX = "cleave-forkd-";
  /** The file in a tmpfs home that names its forkd's data dir (real path). */
  static final String OWNER = "data-dir";
  private static final int MAX_OWNER_BYTES = 4096;

  private RunDirs() {}

  /** A root-owned sticky dir: the instance can create its socket in it but cannot replace forkd's files. */
  static void make(Path dir) throws IOException {
    Files.createDirectory(dir);
    chmod(dir, 01733);
  }

  static void chmod(Path path, int mode) throws IOException {
    if (LibC.INSTANCE.chmod(path.toString(), mode) != 0) {
      throw new IOException(LibC.describe("chmod " + Integer.toOctalString(mode) + " " + path));
    }
  }

  /**
   * Makes the instance's socket forkd's: root connects to it (forkd, the invoker), so it must be
   * a socket and stay one. Owned by root in the root-owned sticky run dir, the instance can no
   * longer swap it for a link to some host socket; mode 0600, no process of the container can
   * connect to it (a fork child to its seed's control socket or to a sibling's listener: they
   * share a uid); and the run dir closes, so the instance cannot fill the data dir's disk with
   * files of its own either.
   */
  static void takeOver(Path socket) {
    int mode;
    try {
      // One lchown for owner and group (the attribute API takes one call, and one syscall, each).
      if (LibC.INSTANCE.lchown(socket.toString(), 0, 0) != 0) {
        throw new IOException(LibC.describe("lchown " + socket));
      }
      mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      if ((mode & S_IFMT) == S_IFSOCK) {
        chmod(socket, 0600);
      }
      chmod(socket.getParent(), 0711);
    } catch (IOException e) {
      throw new ApiError(502, "the instance's " + socket.getFileName() + " vanished: " + e.getMessage());
    }
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new ApiError(502, "the instance's " + socket.getFileName() + " is not a socket");
    }
  }

  /**
   * Closes a fork child's output file (made by forkd, so root's, in the root-owned sticky run
   * dir: never replaced by a link) to everyone once its seed has opened it for the child: mode
   * 0600. The child writes through the descriptor it got; its siblings, which share its uid, can
   * no longer open the file by its path.
   */
  static void closeOutput(Path output) throws IOException {
    chmod(output, 0600);
  }

  /** Reads output bytes from offset, never following a link the instance may have planted. */
  static byte[] readOutput(Path output, long offset, long max) throws IOException {
    try (FileChannel ch = FileChannel.open(output, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = ch.size();
      if (offset >= size) {
        return new byte[0];
      }
      ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size - offset, max));
      while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) > 0) {
        // keep reading until the buffer is full or the file ends
      }
      return buf.position() == buf.capacity() ? buf.array() : Arrays.copyOf(buf.array(), buf.position());
    }
  }

  /** The last 2000 bytes of an instance's output, for error messages. */
  static String tail(Path output) {
    try {
      byte[] all = readOutput(output, Math.max(0, Files.size(output) - 2000), 2000);
      String s = new String(all, StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? "(none)" : s;
    } catch (IOException e) {
      return "(none)";
    }
  }

  /**
   * forkd's home for fork children's run dirs on the tmpfs mounted at {@code tmpfs}
   * ({@code CLEAVE_FORKD_CHILDREN_TMPFS}): {@code <tmpfs>/<name>}, root's, mode 0711. A child's
   * socket, run dir and output there cost the seed, the child and forkd no disk file system work
   * (a unix socket bound on ext4 allocates and journals an inode: ~0.3 ms of a hello seed's 0.9 ms
   * of CPU per fork). Null, with a warning, when {@code tmpfs} is null, not a tmpfs, or holds a
   * {@code name} that is not a directory of root's closed to others (someone else made it first).
   */
  static Path tmpfsHome(Path tmpfs, String name) {
    if (tmpfs == null) {
      return null;
    }
    Path home = tmpfs.resolve(name);
    try {
      if (!Files.isDirectory(tmpfs, LinkOption.NOFOLLOW_LINKS) || !"tmpfs".equals(Files.getFileStore(tmpfs).type())) {
        LOG.warning(tmpfs + " is not a tmpfs (CLEAVE_FORKD_CHILDREN_TMPFS): fork children's run dirs stay on the data dir");
        return null;
      }
      try {
        Files.createDirectory(home);
      } catch (FileAlreadyExistsException left) {
        // A crashed forkd's on the same data dir: taken over once it is proven ours.
      }
      int mode = (Integer) Files.getAttribute(home, "unix:mode", LinkOption.NOFOLLOW_LINKS);
      int uid = (Integer) Files.getAttribute(home, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      if ((mode & S_IFMT) != S_IFDIR || uid != 0 || (mode & 022) != 0) {
        LOG.warning(home + " is not a directory of root's closed to others: fork children's run dirs stay on the data dir");
        return null;
      }
      chmod(home, 0711);
      return home;
    } catch (IOException e) {
      LOG.warning("cannot use " + home + " for fork children's run dirs (" + e.getMessage() + "): they stay on the data dir");
      return null;
    }
  }

  /**
   * Marks forkd's tmpfs {@code home} (taken over, emptied) as its data dir's, then sweeps the
   * homes of forkds whose data dir is gone (see {@link #sweepOrphanHomes}).
   */
  static void claimTmpfsHome(Path home, Path dataDir) {
    try {
      Files.writeString(home.resolve(OWNER), dataDir.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      LOG.warning("cannot mark " + home + " as " + dataDir + "'s: " + e.getMessage());
    }
    sweepOrphanHomes(home.getParent(), home.getFileName().toString());
  }

  /**
   * Removes the tmpfs homes of forkds killed outright (SIGKILL, a node killed in a drill) whose
   * data dir is gone since: nothing else would (a forkd started again on a data dir that still
   * exists takes its own over). Only root's homes that name their data dir in {@link #OWNER} are
   * looked at.
   */
  private static void sweepOrphanHomes(Path tmpfs, String own) {
    try (DirectoryStream<Path> homes = Files.newDirectoryStream(tmpfs, HOME_PREFIX + "*")) {
      for (Path home : homes) {
        Path owner = home.resolve(OWNER);
        if (home.getFileName().toString().equals(own) || !Files.isRegularFile(owner, LinkOption.NOFOLLOW_LINKS)
            || (Integer) Files.getAttribute(home, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0
            || (Integer) Files.getAttribute(owner, "unix:uid", LinkOption.NOFOLLOW_LINKS) != 0
            || Files.size(owner) > MAX_OWNER_BYTES) {
          continue;
        }
        Path data = Path.of(Files.readString(owner, StandardCharsets.UTF_8));
        if (data.isAbsolute() && !Files.exists(data, LinkOption.NOFOLLOW_LINKS)) {
          LOG.info("removing " + home + ", left by a forkd of " + data + ", which is gone");
          deleteTree(home);
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.warning("cannot look for tmpfs dirs of forkds that are gone in " + tmpfs + ": " + e.getMessage());
    }
  }

  /**
   * A seed's children dir at {@code dir} (0711): on the tmpfs home {@code tmpfs} behind a link at
   * {@code dir} when given, so paths (and what the seed's container sees at /cleave/children) do
   * not change; in place otherwise.
   */
  static void makeChildrenDir(Path dir, Path tmpfs) throws IOException {
    if (tmpfs == null) {
      Files.createDirectory(dir);
      chmod(dir, 0711);
      return;
    }
    Path real = tmpfs.resolve(dir.getFileName());
    Files.createDirectory(real);
    try {
      chmod(real, 0711);
      Files.createSymbolicLink(dir, real);
    } catch (IOException e) {
      deleteTree(real);
      throw e;
    }
  }

  /** Deletes a children dir {@link #makeChildrenDir} made, with the tmpfs dir behind its link. */
  static void deleteChildrenDir(Path dir) {
    if (Files.isSymbolicLink(dir)) {
      try {
        deleteTree(Files.readSymbolicLink(dir));
      } catch (IOException e) {
        LOG.warning("cannot read the link " + dir + ": " + e);
      }
    }
    deleteTree(dir);
  }

  /** Deletes what is in {@code dir}, keeping {@code dir}. */
  static void deleteChildren(Path dir) {
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> children = Files.list(dir)) {
      children.forEach(RunDirs::deleteTree);
    } catch (IOException e) {
      LOG.warning("cannot list " + dir + ": " + e);
    }
  }

  /** Deletes a run dir without following links the instance may have left in it. */
  static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.warning("cannot delete " + p + ": " + e);
        }
      });
    } catch (NoSuchFileException gone) {
      // already removed
    } catch (IOException e) {
      LOG.warning("cannot delete " + dir + ": " + e);
    }
  }
}
