package io.cleave.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The startup benchmark's functions, written against the fdk API and kept in the CLI's resources
 * under {@code bench/<name>/}: a hello world, and an image function whose initialisation imports
 * numpy and PIL and decodes one photograph.
 */
enum StartupBenchFunction {
  HELLO("hello", 128, "{\"name\":\"bench\"}"),
  IMAGE("image", 256, "{\"size\":128}");

  private static final List<String> FILES = List.of("func.py", "func.yaml");

  private final String label;
  private final int memoryMb;
  private final String body;

  StartupBenchFunction(String label, int memoryMb, String body) {
    this.label = label;
    this.memoryMb = memoryMb;
    this.body = body;
  }

  String label() {
    return label;
  }

  int memoryMb() {
    return memoryMb;
  }

  /** The request body every benchmark call sends. */
  String body() {
    return body;
  }

  /** The function's config (its instances' environment). */
  Map<String, String> config(Path imageDir) {
    return this == IMAGE ? Map.of("IMAGE_DIR", imageDir.toAbsolutePath().toString()) : Map.of();
  }

  /** The tar.gz code bundle; the same bytes every time (fixed times), so the same sha256. */
  byte[] bundle() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      for (String name : FILES) {
        byte[] content = resource(name);
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        entry.setMode(0644);
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the " + label + " bundle", e);
    }
    return bytes.toByteArray();
  }

  /** Where a node unpacks this bundle: {@code <data>/unpacked/<sha256 hex>} (docs/CONTRACTS.md). */
  Path unpackedDir(Path dataDir) {
    try {
      String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle()));
      return dataDir.resolve("unpacked").resolve(hex);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private byte[] resource(String name) throws IOException {
    String path = "/bench/" + label + "/" + name;
    try (InputStream in = StartupBenchFunction.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IOException("missing resource " + path);
      }
      return in.readAllBytes();
    }
  }
}
