package io.cleave.invoker;

import io.cleave.common.bundle.TarGzBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/** Writes real code bundles (tar.gz of a function directory) for tests. */
public final class Bundles {
  private Bundles() {}

  /** Writes the files into {@code <dir>/<sha256>.tar.gz} and returns the archive's hex digest. */
  public static String write(Path dir, Map<String, String> files) throws IOException {
    byte[] archive = TarGzBundle.ofText(files);
    String hex;
    try {
      hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(archive));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    Files.createDirectories(dir);
    Path target = dir.resolve(hex + ".tar.gz");
    if (!Files.exists(target)) { // same content, same name: already there
      Path tmp = Files.createTempFile(dir, "bundle", ".tar.gz");
      Files.write(tmp, archive);
      Files.move(tmp, target);
    }
    return hex;
  }
}
