package io.cleave.gateway;

import static io.cleave.gateway.GatewayFixture.assertError;
import static io.cleave.gateway.GatewayFixture.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cleave.common.bundle.Archives;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.config.ServerConfig;
import io.cleave.common.http.Http;
import io.cleave.common.id.Ulid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Code bundles over HTTP: upload by digest, download, hostile and oversize archives refused with nothing kept. */
class BundlesRoutesTest extends GatewayTestBase {
  @Override
  ServerConfig config(ServerConfig c) {
    return c.withLimits(c.invokeBodyLimit(), c.apiBodyLimit(), 2 * ServerConfig.MB,
        new UnpackLimits(8 * ServerConfig.MB, 500));
  }

  @Test
  void bundleUploadStoresByDigestAndSetsImage() throws Exception {
    String appId = gateway.createApp(unique("bapp")).path("id").asText();
    String fnId = gateway.createFn(appId, "f").path("id").asText();
    byte[] archive = new Archives().file("func.py", "def handler(ctx, data):\n    return 'hi'\n")
        .file("lib/util.py", "X = 1\n").symlink("lib/alias.py", "util.py").bytes();
    String hex = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(archive));

    Http.Reply up = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", archive, Map.of("X-Content-SHA256", hex));
    assertEquals(200, up.status(), up.toString());
    assertEquals("cleave/bundle:sha256-" + hex, up.json().path("image").asText());
    assertEquals("cleave/bundle:sha256-" + hex, http.get("/v2/fns/" + fnId).json().path("image").asText());
    Path stored = gateway.dataDir().resolve("bundles/sha256/" + hex + ".tar.gz");
    assertTrue(Files.isRegularFile(stored));

    // The same content for another function is stored once.
    String fn2 = gateway.createFn(appId, "g").path("id").asText();
    String digestHeader = "sha-256=" + java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(hex));
    assertEquals(200, http.send("PUT", "/cleave/v1/fns/" + fn2 + "/bundle", archive, Map.of("Digest", digestHeader)).status());
    try (var files = Files.list(gateway.dataDir().resolve("bundles/sha256"))) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().equals(hex + ".tar.gz")).count());
    }

    Http.Reply down = http.get("/cleave/v1/bundles/sha256:" + hex);
    assertEquals(200, down.status());
    assertTrue(java.util.Arrays.equals(archive, down.raw()));
    assertError(http.get("/cleave/v1/bundles/sha256:" + "0".repeat(64)), 404, "bundle sha256:" + "0".repeat(64) + " not found");
    assertEquals(400, http.get("/cleave/v1/bundles/md5:abc").status());

    Http.Reply mismatch = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle",
        new Archives().file("func.py", "other").bytes(), Map.of("X-Content-SHA256", hex));
    assertEquals(400, mismatch.status());
    assertTrue(mismatch.message().startsWith("bundle digest mismatch"), mismatch.toString());
    assertError(http.send("PUT", "/cleave/v1/fns/" + Ulid.next() + "/bundle", archive, Map.of()), 404, "Fn not found");
    assertEquals("cleave/bundle:sha256-" + hex, http.get("/v2/fns/" + fnId).json().path("image").asText());
  }

  @Test
  void hostileBundlesAreRefusedAndChangeNothing() throws Exception {
    String appId = gateway.createApp(unique("hostile")).path("id").asText();
    JsonNode fn = gateway.createFn(appId, "f");
    String fnId = fn.path("id").asText();
    Map<String, byte[]> hostile = new java.util.LinkedHashMap<>();
    hostile.put("absolute path", new Archives().file("/etc/cron.d/evil", "x").bytes());
    hostile.put("dot-dot", new Archives().file("ok.py", "x").file("../../evil.py", "x").bytes());
    hostile.put("symlink out", new Archives().symlink("etc", "../../../etc").bytes());
    hostile.put("absolute symlink", new Archives().symlink("passwd", "/etc/passwd").bytes());
    hostile.put("hardlink out", new Archives().hardlink("shadow", "/etc/shadow").bytes());
    hostile.put("hardlink dot-dot", new Archives().hardlink("x", "../x").bytes());
    hostile.put("write through symlink", new Archives().symlink("d", "sub").file("d/f.py", "x").bytes());
    hostile.put("char device", new Archives().special("dev/null", org.apache.commons.compress.archivers.tar.TarConstants.LF_CHR).bytes());
    hostile.put("block device", new Archives().special("sda", org.apache.commons.compress.archivers.tar.TarConstants.LF_BLK).bytes());
    hostile.put("fifo", new Archives().special("pipe", org.apache.commons.compress.archivers.tar.TarConstants.LF_FIFO).bytes());
    hostile.put("not gzip", "just some text, not an archive".getBytes());
    hostile.put("truncated", java.util.Arrays.copyOf(new Archives().file("a.py", "x".repeat(5000)).bytes(), 60));
    hostile.put("empty archive", new Archives().bytes());
    hostile.put("decompression bomb", new Archives().zeros("zeros.bin", 9L * 1024 * 1024).bytes());
    Archives many = new Archives();
    for (int i = 0; i < 501; i++) {
      many.file("f" + i + ".py", "x");
    }
    hostile.put("too many entries", many.bytes());
    for (var e : hostile.entrySet()) {
      Http.Reply r = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", e.getValue(), Map.of());
      assertEquals(400, r.status(), e.getKey() + ": " + r);
      assertFalse(r.message().isEmpty(), e.getKey());
      assertFalse(r.text().contains("Exception"), e.getKey() + ": " + r);
    }
    assertEquals(fn.path("image"), http.get("/v2/fns/" + fnId).json().path("image"));
    try (var files = Files.list(gateway.dataDir().resolve("bundles/sha256"))) {
      for (Path p : files.toList()) {
        assertNotEquals(0, Files.size(p));
      }
    }
    try (var files = Files.list(gateway.dataDir().resolve("bundles/incoming"))) {
      assertEquals(0, files.count(), "no partial uploads left behind");
    }
  }

  @Test
  void oversizeBundleIs413() throws Exception {
    String appId = gateway.createApp(unique("bigbundle")).path("id").asText();
    String fnId = gateway.createFn(appId, "f").path("id").asText();
    byte[] random = new byte[3 * 1024 * 1024];
    new java.util.Random(7).nextBytes(random);
    byte[] archive = new Archives().file("blob.bin", random, 0644).bytes();
    Http.Reply r = http.send("PUT", "/cleave/v1/fns/" + fnId + "/bundle", archive, Map.of());
    assertEquals(413, r.status(), r.toString());
    assertTrue(r.message().startsWith("bundle larger than the limit"), r.toString());
    assertEquals("", http.get("/v2/fns/" + fnId).json().path("image").asText());
    try (var files = Files.list(gateway.dataDir().resolve("bundles/incoming"))) {
      assertEquals(0, files.count(), "no partial uploads left behind");
    }
  }
}
