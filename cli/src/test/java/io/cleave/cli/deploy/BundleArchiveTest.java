package io.cleave.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.client.CliFailure;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleArchiveTest {
  @TempDir Path tmp;

  /** Entry name → content ("" for directories, "-> target" for links). */
  private static Map<String, String> entries(Path archive) throws Exception {
    Map<String, String> out = new LinkedHashMap<>();
    try (InputStream in = Files.newInputStream(archive);
        TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(in))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        out.put(e.getName(), e.isSymbolicLink() ? "-> " + e.getLinkName()
            : e.isDirectory() ? "" : new String(tar.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private Path functionDir() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("fn"));
    Files.writeString(dir.resolve("func.py"), "print('hi')\n");
    Files.writeString(dir.resolve("func.yaml"), "name: fn\n");
    Files.createDirectories(dir.resolve("lib/__pycache__"));
    Files.writeString(dir.resolve("lib/util.py"), "X = 1\n");
    Files.writeString(dir.resolve("lib/util.pyc"), "compiled");
    Files.writeString(dir.resolve("lib/__pycache__/util.cpython-311.pyc"), "compiled");
    Files.createDirectories(dir.resolve(".git/objects"));
    Files.writeString(dir.resolve(".git/HEAD"), "ref: refs/heads/main\n");
    Files.createSymbolicLink(dir.resolve("alias.py"), Path.of("func.py"));
    return dir;
  }

  @Test
  void packsTheTreeSortedWithoutGitCachesAndBytecode() throws Exception {
    Path dir = functionDir();
    Path out = tmp.resolve("b.tar.gz");
    BundleArchive.Packed p = BundleArchive.pack(dir, out);
    assertEquals(Map.of(
        "alias.py", "-> func.py",
        "func.py", "print('hi')\n",
        "func.yaml", "name: fn\n",
        "lib/", "",
        "lib/util.py", "X = 1\n"), entries(out));
    assertEquals(3, p.files());
    assertEquals(Files.size(out), p.size());
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out)));
    assertEquals(sha, p.sha256());
    assertEquals("cleave/bundle:sha256-" + sha, p.imageRef());
  }

  @Test
  void keepsExecutableBits() throws Exception {
    Path dir = functionDir();
    Files.setPosixFilePermissions(dir.resolve("func.py"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path out = tmp.resolve("b.tar.gz");
    BundleArchive.pack(dir, out);
    Map<String, Integer> modes = new HashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(out)))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        modes.put(e.getName(), e.getMode() & 0777);
      }
    }
    // A missing entry fails here too (null is not 0755).
    assertEquals(Integer.valueOf(0755), modes.get("func.py"), () -> "modes " + modes);
  }

  @Test
  void theSameTreePacksToTheSameDigestAndAChangeChangesIt() throws Exception {
    Path dir = functionDir();
    String first = BundleArchive.pack(dir, tmp.resolve("1.tar.gz")).sha256();
    assertEquals(first, BundleArchive.pack(dir, tmp.resolve("2.tar.gz")).sha256());
    Files.writeString(dir.resolve("func.py"), "print('bye')\n");
    assertNotEquals(first, BundleArchive.pack(dir, tmp.resolve("3.tar.gz")).sha256());
  }

  @Test
  void refusesLinksLeavingTheDirectory() throws Exception {
    Path dir = functionDir();
    Files.createSymbolicLink(dir.resolve("passwd"), Path.of("/etc/passwd"));
    CliFailure abs = assertThrows(CliFailure.class, () -> BundleArchive.pack(dir, tmp.resolve("x.tar.gz")));
    assertTrue(abs.getMessage().contains("passwd is a link"), abs.getMessage());
    Files.delete(dir.resolve("passwd"));
    Files.createSymbolicLink(dir.resolve("lib/up"), Path.of("../../secret"));
    CliFailure up = assertThrows(CliFailure.class, () -> BundleArchive.pack(dir, tmp.resolve("y.tar.gz")));
    assertTrue(up.getMessage().contains("outside the function directory"), up.getMessage());
  }

  @Test
  void installedPackagesJoinTheBundleUnderTheirOwnNameAndTheFunctionDirectoryStaysAsItWas() throws Exception {
    Path dir = functionDir();
    Path packages = Files.createDirectories(tmp.resolve("cache/abc/tabulate"));
    Files.writeString(packages.resolve("__init__.py"), "VERSION = 1\n");
    Path out = tmp.resolve("p.tar.gz");
    BundleArchive.pack(dir, Map.of(".python_packages", tmp.resolve("cache/abc")), out);
    Map<String, String> e = entries(out);
    assertEquals("", e.get(".python_packages/"));
    assertEquals("", e.get(".python_packages/tabulate/"));
    assertEquals("VERSION = 1\n", e.get(".python_packages/tabulate/__init__.py"));
    assertEquals("print('hi')\n", e.get("func.py"));
    assertTrue(Files.notExists(dir.resolve(".python_packages")));

    // A function directory with its own tree of that name is not silently merged.
    Files.createDirectories(dir.resolve(".python_packages"));
    assertThrows(CliFailure.class,
        () -> BundleArchive.pack(dir, Map.of(".python_packages", tmp.resolve("cache/abc")), tmp.resolve("q.tar.gz")));
  }
}
