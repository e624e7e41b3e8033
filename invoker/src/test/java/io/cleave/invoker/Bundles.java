package io.cleave.invoker;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Writes real code bundles (tar.gz of a function directory) for tests. */
public final class Bundles {
  private Bundles() {}

  /** Writes the files into {@code <dir>/<sha256>.tar.gz} and returns the archive's hex digest. */
  public static String write(Path dir, Map<String, String> files) throws IOException {
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "bundle", ".tar.gz");
    try (OutputStream out = Files.newOutputStream(tmp);
        GZIPOutputStream gz = new GZIPOutputStream(out);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gz)) {
      for (Map.Entry<String, String> f : files.entrySet()) {
        byte[] bytes = f.getValue().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(f.getKey());
        e.setSize(bytes.length);
        e.setMode(0644);
        tar.putArchiveEntry(e);
        tar.write(bytes);
        tar.closeArchiveEntry();
      }
    }
    String hex;
    try {
      hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(tmp)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Path target = dir.resolve(hex + ".tar.gz");
    if (Files.exists(target)) {
      Files.delete(tmp); // same content, same name: already there
    } else {
      Files.move(tmp, target);
    }
    return hex;
  }
}
