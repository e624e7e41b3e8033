package io.cleave.bench;

import io.cleave.common.bundle.TarGzBundle;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

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
  Buffer body() {
    return Buffer.buffer(body);
  }

  /** The same body asking the call to hold its instance {@code holdMs} before answering (both functions honour hold_ms). */
  Buffer body(int holdMs) {
    return new JsonObject(body).put("hold_ms", holdMs).toBuffer();
  }

  /** The function's config (its instances' environment). */
  Map<String, String> config() {
    return this == IMAGE ? Map.of("IMAGE_DIR", BundledImages.INSIDE) : Map.of();
  }

  /** The tar.gz code bundle (the image function's with the photographs of {@code imageDir}); the same bytes every time. */
  byte[] bundle(Path imageDir) {
    return TarGzBundle.ofResources(StartupBenchFunction.class, "/bench/" + label, FILES,
        this == IMAGE ? BundledImages.of(imageDir) : Map.of());
  }

  /** Where a node unpacks this bundle: {@code <data>/unpacked/<sha256 hex>} (docs/CONTRACTS.md). */
  Path unpackedDir(Path dataDir, Path imageDir) {
    try {
      String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bundle(imageDir)));
      return dataDir.resolve("unpacked").resolve(hex);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
