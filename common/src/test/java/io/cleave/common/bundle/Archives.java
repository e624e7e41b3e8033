package io.cleave.common.bundle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds tar.gz archives in memory, including hostile ones, for unpacking and upload tests. */
public final class Archives {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar;

  public Archives() {
    try {
      tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes));
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Archives file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  public Archives file(String name, byte[] content, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setSize(content.length);
    e.setMode(mode);
    return add(e, content);
  }

  /** A file of {@code size} zero bytes, written in chunks (compresses to almost nothing). */
  public Archives zeros(String name, long size) {
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setSize(size);
    try {
      tar.putArchiveEntry(e);
      byte[] chunk = new byte[1 << 20];
      for (long left = size; left > 0; left -= chunk.length) {
        tar.write(chunk, 0, (int) Math.min(chunk.length, left));
      }
      tar.closeArchiveEntry();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return this;
  }

  public Archives symlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    return add(e, null);
  }

  public Archives hardlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    return add(e, null);
  }

  public Archives special(String name, byte type) {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    return add(e, null);
  }

  private Archives add(TarArchiveEntry e, byte[] content) {
    try {
      tar.putArchiveEntry(e);
      if (content != null) {
        tar.write(content);
      }
      tar.closeArchiveEntry();
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return this;
  }

  public byte[] bytes() {
    try {
      tar.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
