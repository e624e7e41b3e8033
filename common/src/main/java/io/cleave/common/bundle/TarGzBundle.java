package io.cleave.common.bundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A code bundle of a few plain files built in memory, as the benchmarks and tests deploy them.
 * Entries are mode 0644 with a fixed time, so the same files make the same archive and sha256
 * from run to run. ({@code cleave deploy} packs a whole directory, links and modes included.)
 */
public final class TarGzBundle {
  private TarGzBundle() {}

  /** The archive of {@code files} (name at the bundle's root to content), in the map's order. */
  public static byte[] of(Map<String, byte[]> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        TarArchiveEntry entry = new TarArchiveEntry(f.getKey());
        entry.setSize(f.getValue().length);
        entry.setMode(0644);
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.write(f.getValue());
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build a bundle of " + files.keySet(), e);
    }
    return bytes.toByteArray();
  }

  /** The archive of text files (UTF-8). */
  public static byte[] ofText(Map<String, String> files) {
    Map<String, byte[]> bytes = new LinkedHashMap<>();
    files.forEach((name, text) -> bytes.put(name, text.getBytes(StandardCharsets.UTF_8)));
    return of(bytes);
  }

  /** The archive of the class path resources {@code <dir>/<name>} (resolved as {@code owner} resolves them). */
  public static byte[] ofResources(Class<?> owner, String dir, List<String> names) {
    return ofResources(owner, dir, names, Map.of());
  }

  /** The same, with {@code more} files (name at the bundle's root to content) after the resources. */
  public static byte[] ofResources(Class<?> owner, String dir, List<String> names, Map<String, byte[]> more) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String name : names) {
      String path = dir + "/" + name;
      try (InputStream in = owner.getResourceAsStream(path)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + path);
        }
        files.put(name, in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read resource " + path, e);
      }
    }
    files.putAll(more);
    return of(files);
  }
}
