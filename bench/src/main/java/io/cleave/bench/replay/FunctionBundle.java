package io.cleave.bench.replay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** The tar.gz code bundle of a workload, built from the CLI's resources. */
final class FunctionBundle {
  private FunctionBundle() {}

  static byte[] of(Workload workload) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes);
        TarArchiveOutputStream tar = new TarArchiveOutputStream(gzip)) {
      for (String name : Workload.FILES) {
        byte[] content = resource(workload, name);
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(content.length);
        entry.setMode(0644);
        // A fixed time keeps the archive, and so its sha256, the same from run to run.
        entry.setModTime(0);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
      }
      tar.finish();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the " + workload.dirName() + " bundle", e);
    }
    return bytes.toByteArray();
  }

  static byte[] resource(Workload workload, String name) throws IOException {
    String path = "functions/" + workload.dirName() + "/" + name;
    try (InputStream in = FunctionBundle.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IOException("missing resource " + path);
      }
      return in.readAllBytes();
    }
  }
}
