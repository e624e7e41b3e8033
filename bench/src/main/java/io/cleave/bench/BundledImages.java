package io.cleave.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The photographs the image functions decode, shipped inside their bundle under {@code images/}:
 * instances read {@code /function/images}, never the host's copy, which may sit where an
 * instance's unprivileged uid cannot look (a checkout under a 0700 home, the host's /tmp).
 */
public final class BundledImages {
  /** Where instances find the photographs; the functions' {@code IMAGE_DIR}. */
  public static final String INSIDE = "/function/images";

  private BundledImages() {}

  /** The JPEGs of {@code dir}, by name, as bundle entries {@code images/<name>}. */
  public static Map<String, byte[]> of(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> jpegs = files.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.jpe?g"))
          .filter(Files::isRegularFile).sorted().toList();
      if (jpegs.isEmpty()) {
        throw new IllegalArgumentException("no JPEG image in " + dir);
      }
      Map<String, byte[]> entries = new LinkedHashMap<>();
      for (Path p : jpegs) {
        entries.put("images/" + p.getFileName(), Files.readAllBytes(p));
      }
      return entries;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the images in " + dir, e);
    }
  }
}
