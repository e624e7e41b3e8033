package io.cleave.cli.deploy;

import io.cleave.client.CliFailure;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Packs a function directory as the tar.gz code bundle the server stores by sha256. Entries are
 * relative and sorted (same tree, same archive); {@code .git}, {@code __pycache__} and
 * {@code *.pyc} stay out. Anything the server would refuse to unpack (links leaving the tree,
 * devices, pipes, sockets) is refused here first, before anything changes on the server.
 */
public final class BundleArchive {
  private static final Set<String> SKIPPED_DIRS = Set.of(".git", "__pycache__");

  /** What was packed: the archive file, its sha256 (hex), size in bytes and number of files. */
  public record Packed(Path file, String sha256, long size, int files) {
    public String imageRef() {
      return new io.cleave.common.bundle.BundleDigest(sha256).image();
    }
  }

  private BundleArchive() {}

  private static boolean skipped(Path name, boolean directory) {
    String n = name.toString();
    return directory ? SKIPPED_DIRS.contains(n) : n.endsWith(".pyc");
  }

  /** Writes the archive of {@code dir} to {@code out}. */
  public static Packed pack(Path dir, Path out) throws IOException {
    return pack(dir, Map.of(), out);
  }

  /**
   * Writes the archive of {@code dir} to {@code out}, with each of {@code extraTrees} (a name at
   * the bundle's root mapped to a directory elsewhere, such as installed packages) added after it.
   */
  public static Packed pack(Path dir, Map<String, Path> extraTrees, Path out) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    for (String name : extraTrees.keySet()) {
      if (Files.exists(root.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
        throw new CliFailure(root.resolve(name) + " exists and would be replaced in the bundle");
      }
    }
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    int[] files = {0};
    try (OutputStream file = Files.newOutputStream(out);
        DigestOutputStream digest = new DigestOutputStream(new BufferedOutputStream(file, 1 << 16), sha);
        GZIPOutputStream gzip = new GZIPOutputStream(digest, 1 << 16);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      addChildren(root, root, "", tar, files);
      for (Map.Entry<String, Path> e : new TreeMap<>(extraTrees).entrySet()) {
        Path extra = e.getValue().toAbsolutePath().normalize();
        TarArchiveEntry top = entry(e.getKey() + "/", TarArchiveEntry.LF_DIR,
            Files.readAttributes(extra, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        tar.putArchiveEntry(top);
        tar.closeArchiveEntry();
        addChildren(extra, extra, e.getKey() + "/", tar, files);
      }
      tar.finish();
    }
    return new Packed(out, HexFormat.of().formatHex(sha.digest()), Files.size(out), files[0]);
  }

  /** Adds what is under {@code dir} (inside {@code root}), named {@code prefix} + its path from root. */
  private static void addChildren(Path root, Path dir, String prefix, TarArchiveOutputStream tar, int[] files)
      throws IOException {
    List<Path> children;
    try (Stream<Path> s = Files.list(dir)) {
      children = s.sorted().toList();
    }
    for (Path child : children) {
      PosixFileAttributes attrs = Files.readAttributes(child, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      String rel = prefix + root.relativize(child);
      if (attrs.isDirectory()) {
        if (skipped(child.getFileName(), true)) {
          continue;
        }
        TarArchiveEntry e = entry(rel + "/", TarArchiveEntry.LF_DIR, attrs);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
        addChildren(root, child, prefix, tar, files);
      } else if (attrs.isSymbolicLink()) {
        Path target = Files.readSymbolicLink(child);
        Path resolved = child.getParent().resolve(target).normalize();
        if (target.isAbsolute() || !resolved.startsWith(root)) {
          throw new CliFailure(rel + " is a link to " + target
              + ", outside the function directory; bundles may only link inside their own tree");
        }
        TarArchiveEntry e = entry(rel, TarArchiveEntry.LF_SYMLINK, attrs);
        e.setLinkName(target.toString());
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
      } else if (attrs.isRegularFile()) {
        if (skipped(child.getFileName(), false)) {
          continue;
        }
        TarArchiveEntry e = entry(rel, TarArchiveEntry.LF_NORMAL, attrs);
        e.setSize(attrs.size());
        tar.putArchiveEntry(e);
        Files.copy(child, tar);
        tar.closeArchiveEntry();
        files[0]++;
      } else {
        throw new CliFailure(rel + " is not a regular file, directory or link (a pipe, socket or device?);"
            + " move it out of the function directory");
      }
    }
  }

  private static TarArchiveEntry entry(String name, byte type, PosixFileAttributes attrs) {
    TarArchiveEntry e = new TarArchiveEntry(name, type);
    e.setMode(modeBits(attrs.permissions()) | (type == TarArchiveEntry.LF_DIR ? 040000 : type == TarArchiveEntry.LF_SYMLINK ? 0120000 : 0100000));
    e.setModTime(attrs.lastModifiedTime().toMillis());
    e.setUserId(0);
    e.setGroupId(0);
    e.setUserName("");
    e.setGroupName("");
    return e;
  }

  private static int modeBits(Set<PosixFilePermission> perms) {
    int mode = 0;
    for (PosixFilePermission p : perms) {
      mode |= switch (p) {
        case OWNER_READ -> 0400;
        case OWNER_WRITE -> 0200;
        case OWNER_EXECUTE -> 0100;
        case GROUP_READ -> 040;
        case GROUP_WRITE -> 020;
        case GROUP_EXECUTE -> 010;
        case OTHERS_READ -> 04;
        case OTHERS_WRITE -> 02;
        case OTHERS_EXECUTE -> 01;
      };
    }
    return mode;
  }
}
