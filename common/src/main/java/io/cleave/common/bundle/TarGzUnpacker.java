package io.cleave.common.bundle;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads a gzip-compressed tar archive, refusing anything that could reach outside the target
 * directory or exhaust the disk: absolute paths, {@code ..} segments, symbolic links resolving
 * outside the tree, hard links to anything but an earlier regular file of the same archive,
 * entries under a symbolic link, device files, fifos, and more data or entries than the limits.
 * Names are bounded (PATH_MAX, NAME_MAX, depth) and so are the headers that carry them, before
 * their data is read ({@link TarHeaderGuard}).
 * The same checks run whether the archive is only verified or really unpacked.
 */
public final class TarGzUnpacker {

  /** What an accepted archive holds. */
  public record Summary(int entries, int files, long bytes) {}

  private final UnpackLimits limits;

  public TarGzUnpacker(UnpackLimits limits) {
    this.limits = limits;
  }

  /** Reads the whole archive and applies every check without writing anything. */
  public Summary verify(Path archive) throws IOException {
    return walk(archive, null);
  }

  /**
   * Unpacks into {@code dest}, which must not exist yet. Work happens in a sibling temporary
   * directory renamed into place at the end, so {@code dest} appears complete or not at all. If
   * another unpacking of the same archive won the race, its result is kept.
   */
  public Summary unpack(Path archive, Path dest) throws IOException {
    Path parent = dest.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path work = parent.resolve(".unpack-" + dest.getFileName() + "-" + UUID.randomUUID());
    Files.createDirectory(work);
    try {
      Summary summary = walk(archive, work);
      try {
        Files.move(work, dest, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
        if (!Files.isDirectory(dest)) {
          throw e;
        }
        deleteTree(work);
      } catch (IOException e) {
        if (Files.isDirectory(dest)) {
          deleteTree(work); // a concurrent unpack of the same archive finished first
        } else {
          throw e;
        }
      }
      return summary;
    } catch (IOException | RuntimeException e) {
      deleteTree(work);
      throw e;
    }
  }

  private Summary walk(Path archive, Path root) throws IOException {
    Set<String> symlinks = new HashSet<>();
    Map<String, String> linkPaths = new LinkedHashMap<>();
    Set<String> regularFiles = new HashSet<>();
    int entries = 0;
    int files = 0;
    long total = 0;
    byte[] buf = new byte[64 * 1024];
    try (InputStream raw = Files.newInputStream(archive);
        InputStream gz = new GZIPInputStream(new BufferedInputStream(raw, 64 * 1024), 64 * 1024);
        TarArchiveInputStream tar = new TarArchiveInputStream(new TarHeaderGuard(gz))) {
      TarArchiveEntry entry;
      while ((entry = nextEntry(tar)) != null) {
        entries++;
        if (entries > limits.maxEntries()) {
          throw new ArchiveRejectedException("archive has more than " + limits.maxEntries() + " entries");
        }
        EntryNameBounds.check("entry name", entry.getName());
        String name = normalise(entry.getName());
        if (name.isEmpty()) {
          continue; // the archive's own root "./"
        }
        refuseUnderSymlink(name, symlinks);
        if (entry.isCharacterDevice() || entry.isBlockDevice()) {
          throw new ArchiveRejectedException("archive entry '" + name + "' is a device file");
        }
        if (entry.isFIFO()) {
          throw new ArchiveRejectedException("archive entry '" + name + "' is a fifo");
        }
        if (entry.isSymbolicLink()) {
          String target = entry.getLinkName();
          if (target != null) {
            EntryNameBounds.check("link target of '" + name + "'", target);
          }
          if (target == null || target.isEmpty() || target.startsWith("/") || target.indexOf('\0') >= 0) {
            throw new ArchiveRejectedException(
                "archive entry '" + name + "' is a symbolic link to an absolute or empty path");
          }
          String parentDir = name.contains("/") ? name.substring(0, name.lastIndexOf('/') + 1) : "";
          if (resolvesOutside(parentDir + target)) {
            throw new ArchiveRejectedException(
                "archive entry '" + name + "' is a symbolic link leaving the bundle (" + target + ")");
          }
          symlinks.add(name);
          linkPaths.put(name, parentDir + target);
          regularFiles.remove(name);
          if (root != null) {
            Path at = place(root, name);
            Files.deleteIfExists(at);
            Files.createSymbolicLink(at, Path.of(target));
          }
        } else if (entry.isLink()) {
          EntryNameBounds.check("link target of '" + name + "'", entry.getLinkName());
          String target;
          try {
            target = normalise(entry.getLinkName());
          } catch (ArchiveRejectedException e) {
            throw new ArchiveRejectedException(
                "archive entry '" + name + "' is a hard link to '" + entry.getLinkName() + "', outside the bundle");
          }
          if (!regularFiles.contains(target)) {
            throw new ArchiveRejectedException(
                "archive entry '" + name + "' is a hard link to '" + entry.getLinkName()
                    + "', which is not an earlier regular file of the bundle");
          }
          regularFiles.add(name);
          if (root != null) {
            Path at = place(root, name);
            Files.deleteIfExists(at);
            Files.createLink(at, root.resolve(target));
          }
        } else if (entry.isDirectory()) {
          if (root != null) {
            Path at = place(root, name);
            Files.createDirectories(at);
            setMode(at, 0755);
          }
        } else if (entry.isFile()) {
          files++;
          regularFiles.add(name);
          OutputStream out = null;
          Path at = null;
          if (root != null) {
            at = place(root, name);
            out = Files.newOutputStream(at, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
          }
          try {
            int n;
            while ((n = tar.read(buf)) > 0) {
              total += n;
              if (total > limits.maxTotalBytes()) {
                throw new ArchiveRejectedException(
                    "archive unpacks to more than " + limits.maxTotalBytes() + " bytes");
              }
              if (out != null) {
                out.write(buf, 0, n);
              }
            }
          } finally {
            if (out != null) {
              out.close();
            }
          }
          if (at != null) {
            // Keep only the owner's execute intent; never setuid/setgid/sticky or group/world write.
            setMode(at, (entry.getMode() & 0100) != 0 ? 0755 : 0644);
          }
        } else {
          throw new ArchiveRejectedException("archive entry '" + name + "' has an unsupported type");
        }
      }
      for (Map.Entry<String, String> link : linkPaths.entrySet()) {
        refuseThroughSymlink(link.getKey(), link.getValue(), symlinks);
      }
    } catch (ArchiveRejectedException e) {
      throw e;
    } catch (ZipException | EOFException e) {
      throw new ArchiveRejectedException("not a valid gzip-compressed tar archive (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      if (root == null || e.getClass().getName().startsWith("org.apache.commons.compress")) {
        throw new ArchiveRejectedException("not a valid tar archive (" + e.getMessage() + ")", e);
      }
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ArchiveRejectedException("not a valid tar archive (" + e.getMessage() + ")", e);
    }
    return new Summary(entries, files, total);
  }

  private static TarArchiveEntry nextEntry(TarArchiveInputStream tar) throws IOException {
    try {
      return tar.getNextEntry();
    } catch (ArchiveRejectedException e) {
      throw e; // a bound TarHeaderGuard enforced, already worded
    } catch (IOException e) {
      throw new ArchiveRejectedException("not a valid tar archive (" + e.getMessage() + ")", e);
    }
  }

  /** Strips "./" prefixes and trailing slashes; refuses absolute names and ".." segments. */
  static String normalise(String raw) throws ArchiveRejectedException {
    if (raw == null || raw.indexOf('\0') >= 0 || raw.indexOf('\\') >= 0) {
      throw new ArchiveRejectedException("archive entry name is not a plain relative path: " + raw);
    }
    if (raw.startsWith("/")) {
      throw new ArchiveRejectedException("archive entry '" + raw + "' has an absolute path");
    }
    List<String> parts = new ArrayList<>();
    for (String part : raw.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new ArchiveRejectedException("archive entry '" + raw + "' contains '..'");
      }
      parts.add(part);
    }
    return String.join("/", parts);
  }

  /**
   * Refuses a link whose target, read from the archive root, goes through another link: where that
   * link leads decides where this one does ({@code s -> .} makes {@code s/..} the bundle's parent),
   * so the lexical check above says nothing. Checked once every link of the archive is known.
   */
  private static void refuseThroughSymlink(String name, String path, Set<String> symlinks)
      throws ArchiveRejectedException {
    ArrayDeque<String> stack = new ArrayDeque<>();
    String[] parts = path.split("/");
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      boolean last = i == parts.length - 1;
      String here = joined(stack);
      if (part.equals("..")) {
        if (symlinks.contains(here)) {
          throw new ArchiveRejectedException("archive entry '" + name + "' is a symbolic link through the symbolic link '"
              + here + "'");
        }
        stack.pop();
        continue;
      }
      stack.push(part);
      String next = joined(stack);
      if (!last && symlinks.contains(next)) {
        throw new ArchiveRejectedException("archive entry '" + name + "' is a symbolic link through the symbolic link '"
            + next + "'");
      }
    }
  }

  /** The path a stack of components (pushed root first) names. */
  private static String joined(ArrayDeque<String> stack) {
    StringBuilder path = new StringBuilder();
    for (java.util.Iterator<String> it = stack.descendingIterator(); it.hasNext(); ) {
      path.append(path.length() == 0 ? "" : "/").append(it.next());
    }
    return path.toString();
  }

  /** True when a link target, taken relative to the archive root, climbs above it. */
  private static boolean resolvesOutside(String relative) {
    ArrayDeque<String> stack = new ArrayDeque<>();
    for (String part : relative.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (stack.isEmpty()) {
          return true;
        }
        stack.pop();
      } else {
        stack.push(part);
      }
    }
    return false;
  }

  private static void refuseUnderSymlink(String name, Set<String> symlinks) throws ArchiveRejectedException {
    int slash = name.indexOf('/');
    while (slash > 0) {
      if (symlinks.contains(name.substring(0, slash))) {
        throw new ArchiveRejectedException(
            "archive entry '" + name + "' lies under a symbolic link of the archive");
      }
      slash = name.indexOf('/', slash + 1);
    }
  }

  private static Path place(Path root, String name) throws IOException {
    Path at = root.resolve(name).normalize();
    if (!at.startsWith(root)) {
      throw new ArchiveRejectedException("archive entry '" + name + "' leaves the bundle");
    }
    Files.createDirectories(at.getParent());
    return at;
  }

  private static void setMode(Path p, int mode) throws IOException {
    Set<PosixFilePermission> perms = new HashSet<>();
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        perms.add(order[i]);
      }
    }
    Files.setPosixFilePermissions(p, perms);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
