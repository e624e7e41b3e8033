package io.cleave.common.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarGzUnpackerTest {
  @TempDir Path tmp;

  private final TarGzUnpacker unpacker = new TarGzUnpacker(new UnpackLimits(4 * 1024 * 1024, 100));

  private Path write(byte[] archive) throws IOException {
    Path p = Files.createTempFile(tmp, "bundle", ".tar.gz");
    Files.write(p, archive);
    return p;
  }

  @Test
  void unpacksFilesDirsLinksAndModes() throws IOException {
    Path archive = write(new Archives()
        .file("./func.py", "def handler(ctx, data):\n    return 1\n")
        .file("bin/run.sh", "#!/bin/sh\necho hi\n".getBytes(), 04777)
        .file("lib/pkg/mod.py", "X = 2\n")
        .symlink("lib/link.py", "pkg/mod.py")
        .hardlink("lib/copy.py", "lib/pkg/mod.py")
        .bytes());
    Path dest = tmp.resolve("out");
    TarGzUnpacker.Summary s = unpacker.unpack(archive, dest);
    assertEquals(3, s.files());
    assertEquals("X = 2\n", Files.readString(dest.resolve("lib/link.py")));
    assertEquals("X = 2\n", Files.readString(dest.resolve("lib/copy.py")));
    assertTrue(Files.isSymbolicLink(dest.resolve("lib/link.py")));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dest.resolve("bin/run.sh"))),
        "setuid and world-write dropped, execute kept");
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dest.resolve("func.py"))));
    try (Stream<Path> left = Files.list(tmp)) {
      assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith(".unpack-")), "work dir renamed away");
    }
    // A second unpack of the same archive to the same place keeps the first result.
    unpacker.unpack(archive, dest);
    assertTrue(Files.exists(dest.resolve("func.py")));
  }

  private void assertRefused(byte[] archive, String expectedFragment) throws IOException {
    Path p = write(archive);
    ArchiveRejectedException verify = assertThrows(ArchiveRejectedException.class, () -> unpacker.verify(p));
    assertTrue(verify.getMessage().contains(expectedFragment), verify.getMessage());
    Path dest = tmp.resolve("refused-" + System.nanoTime());
    assertThrows(ArchiveRejectedException.class, () -> unpacker.unpack(p, dest));
    assertFalse(Files.exists(dest, LinkOption.NOFOLLOW_LINKS), "nothing unpacked");
    try (Stream<Path> left = Files.list(tmp)) {
      assertFalse(left.anyMatch(x -> x.getFileName().toString().startsWith(".unpack-")), "work dir removed");
    }
  }

  @Test
  void refusesHostileArchives() throws IOException {
    assertRefused(new Archives().file("/etc/passwd", "x").bytes(), "absolute path");
    assertRefused(new Archives().file("a/../../x", "x").bytes(), "'..'");
    assertRefused(new Archives().symlink("out", "../outside").bytes(), "symbolic link leaving");
    assertRefused(new Archives().symlink("deep/out", "../../x").bytes(), "symbolic link leaving");
    assertRefused(new Archives().symlink("abs", "/etc/shadow").bytes(), "absolute or empty path");
    assertRefused(new Archives().hardlink("h", "/etc/shadow").bytes(), "hard link");
    assertRefused(new Archives().hardlink("h", "nonexistent").bytes(), "hard link");
    assertRefused(new Archives().symlink("d", ".").file("d/x.py", "x").bytes(), "under a symbolic link");
    // Lexically inside, really outside: s is the bundle's root, so s/.. is its parent (and func.yaml the host's file).
    assertRefused(new Archives().symlink("s", ".").symlink("func.yaml", "s/../../../etc/shadow").bytes(),
        "symbolic link leaving");
    assertRefused(new Archives().symlink("s", ".").symlink("t", "s/..").bytes(), "through the symbolic link 's'");
    assertRefused(new Archives().symlink("t", "s/../x").symlink("s", "a/b").bytes(), "through the symbolic link 's'");
    assertRefused(new Archives().file("a/b/f", "x").symlink("s", "a/b").symlink("t", "s/f").bytes(),
        "through the symbolic link 's'");
    assertRefused(new Archives().special("null", TarConstants.LF_CHR).bytes(), "device file");
    assertRefused(new Archives().special("sda", TarConstants.LF_BLK).bytes(), "device file");
    assertRefused(new Archives().special("p", TarConstants.LF_FIFO).bytes(), "fifo");
    assertRefused(new Archives().zeros("bomb", 5L * 1024 * 1024).bytes(), "unpacks to more than");
    Archives many = new Archives();
    for (int i = 0; i < 101; i++) {
      many.file("f" + i, "x");
    }
    assertRefused(many.bytes(), "more than 100 entries");
    assertRefused("plain text".getBytes(), "not a valid");
  }

  @Test
  void longNamesThroughPaxHeaders() throws IOException {
    String deep = "pkg/" + "sub/".repeat(40) + "module_with_a_long_name.py";
    Path dest = tmp.resolve("long");
    unpacker.unpack(write(new Archives().file(deep, "OK = True\n").bytes()), dest);
    assertEquals("OK = True\n", Files.readString(dest.resolve(deep)));
  }

  @Test
  void symlinkWithinTreeIsAccepted() throws IOException {
    Path p = write(new Archives().file("a/b/c.py", "x").symlink("a/b/up", "../../a").bytes());
    assertEquals(1, unpacker.verify(p).files());
  }

  /**
   * A GNU long-name header claiming 600 MB (its data deflates to ~600 KB): refused from the header
   * alone, before the tar reader buffers the name. The old reader allocated gigabytes here.
   */
  @Test
  void hugeGnuLongNameRefusedBeforeItsDataIsRead() throws IOException {
    long claimed = 600L * 1024 * 1024;
    Path p = write(HostileTars.gnuLongName(claimed));
    assertTrue(Files.size(p) < 2 * 1024 * 1024, "a small upload: " + Files.size(p));
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
    long started = System.nanoTime();
    ArchiveRejectedException e = assertThrows(ArchiveRejectedException.class, () -> unpacker.verify(p));
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
    assertEquals("archive has a GNU long name header of " + claimed + " bytes, more than PATH_MAX (4096 bytes)",
        e.getMessage());
    assertTrue(allocated < 8L * 1024 * 1024, "allocated " + allocated + " bytes");
    assertTrue(tookMs < 2000, "took " + tookMs + " ms");
  }

  @Test
  void oversizedPaxHeaderRefused() throws IOException {
    assertRefused(HostileTars.paxHeader(1024 * 1024), "PAX extended header of 1048576 bytes, more than the limit of 65536");
    assertRefused(HostileTars.paxRecord("size", "100"), "overriding an entry's size");
    assertRefused(HostileTars.paxRecord("GNU.sparse.size", "100"), "sparse file");
  }

  @Test
  void namesBoundedByPathMaxNameMaxAndDepth() throws IOException {
    assertRefused(new Archives().file("d/" + "n".repeat(256), "x").bytes(), "longer than NAME_MAX (255 bytes)");
    assertRefused(new Archives().file("a/".repeat(129) + "f", "x").bytes(), "130 levels deep, more than the limit of 128");
    assertRefused(new Archives().file(("d".repeat(200) + "/").repeat(21) + "f", "x").bytes(),
        "longer than PATH_MAX (4096 bytes)");
    assertRefused(new Archives().file("a", "x").symlink("l", "b/".repeat(2049)).bytes(), "link target of 'l'");
    Path ok = write(new Archives().file("d/" + "n".repeat(255), "x").file("a/".repeat(127) + "f", "x").bytes());
    assertEquals(2, unpacker.verify(ok).files());
  }
}
