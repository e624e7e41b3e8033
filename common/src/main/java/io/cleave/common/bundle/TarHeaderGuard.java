package io.cleave.common.bundle;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Sits between the decompressor and the tar reader and looks at every 512-byte header as it
 * passes, so that a header announcing an oversized GNU long name/link or PAX extended header is
 * refused before the tar reader buffers its data: commons-compress reads those whole into memory,
 * and a 611 KB archive whose long name claims 600 MB costs gigabytes of heap otherwise.
 *
 * <p>It tracks the archive's record layout itself (header, then the entry's data padded to 512
 * bytes), so it refuses what would make its view differ from the tar reader's: PAX {@code size}
 * overrides (only needed for entries over 8 GiB, far above any unpack limit) and sparse entries.
 */
final class TarHeaderGuard extends FilterInputStream {
  static final int PATH_MAX = 4096;
  /** Room for a long path and link path with their attributes; real PAX headers are far smaller. */
  static final int PAX_HEADER_MAX = 64 * 1024;

  private static final int RECORD = 512;
  private static final int SIZE_OFFSET = 124;
  private static final int SIZE_LENGTH = 12;
  private static final int TYPE_OFFSET = 156;

  private final byte[] header = new byte[RECORD];
  private int headerFill;
  /** Bytes of the current entry's data and padding still to pass before the next header. */
  private long dataLeft;
  /** The current PAX header's data, captured to look for records that move the layout. */
  private byte[] pax;
  private int paxFill;
  private boolean ended;

  TarHeaderGuard(InputStream in) {
    super(in);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    int n = in.read(b, off, len);
    if (n > 0) {
      observe(b, off, n);
    }
    return n;
  }

  /** Skipped bytes are read, so no header goes unseen. */
  @Override
  public long skip(long n) throws IOException {
    byte[] scratch = new byte[(int) Math.min(n, 8192)];
    long skipped = 0;
    while (skipped < n) {
      int got = read(scratch, 0, (int) Math.min(scratch.length, n - skipped));
      if (got < 0) {
        break;
      }
      skipped += got;
    }
    return skipped;
  }

  private void observe(byte[] b, int off, int n) throws ArchiveRejectedException {
    while (n > 0 && !ended) {
      if (dataLeft > 0) {
        int take = (int) Math.min(dataLeft, n);
        if (pax != null && paxFill < pax.length) {
          int copy = Math.min(take, pax.length - paxFill);
          System.arraycopy(b, off, pax, paxFill, copy);
          paxFill += copy;
        }
        dataLeft -= take;
        off += take;
        n -= take;
        if (dataLeft == 0 && pax != null) {
          checkPaxRecords(pax);
          pax = null;
        }
        continue;
      }
      int take = Math.min(RECORD - headerFill, n);
      System.arraycopy(b, off, header, headerFill, take);
      headerFill += take;
      off += take;
      n -= take;
      if (headerFill == RECORD) {
        headerFill = 0;
        onHeader();
      }
    }
  }

  private void onHeader() throws ArchiveRejectedException {
    if (allZero(header)) {
      ended = true; // end-of-archive marker: the tar reader reads no further headers
      return;
    }
    long size = entrySize(header);
    switch (header[TYPE_OFFSET]) {
      case 'L', 'K' -> {
        if (size > PATH_MAX) {
          String what = header[TYPE_OFFSET] == 'L' ? "GNU long name" : "GNU long link name";
          throw new ArchiveRejectedException("archive has a " + what + " header of " + size
              + " bytes, more than PATH_MAX (" + PATH_MAX + " bytes)");
        }
      }
      case 'x', 'X', 'g' -> {
        if (size > PAX_HEADER_MAX) {
          throw new ArchiveRejectedException("archive has a PAX extended header of " + size
              + " bytes, more than the limit of " + PAX_HEADER_MAX + " bytes");
        }
        pax = new byte[(int) size];
        paxFill = 0;
      }
      case 'S' -> throw new ArchiveRejectedException("archive has a sparse file entry (not supported)");
      default -> { }
    }
    dataLeft = (size + RECORD - 1) / RECORD * RECORD;
    if (dataLeft == 0 && pax != null) {
      pax = null;
    }
  }

  /** The size field: octal digits between optional spaces/NULs, or base-256 when the top bit is set. */
  private static long entrySize(byte[] h) throws ArchiveRejectedException {
    if ((h[SIZE_OFFSET] & 0x80) != 0) {
      if ((h[SIZE_OFFSET] & 0x40) != 0) {
        throw new ArchiveRejectedException("not a valid tar archive (negative entry size)");
      }
      long size = h[SIZE_OFFSET] & 0x3f;
      for (int i = SIZE_OFFSET + 1; i < SIZE_OFFSET + SIZE_LENGTH; i++) {
        if (size > (Long.MAX_VALUE >> 9)) {
          throw new ArchiveRejectedException("not a valid tar archive (entry size out of range)");
        }
        size = (size << 8) | (h[i] & 0xff);
      }
      return size;
    }
    int i = SIZE_OFFSET;
    int end = SIZE_OFFSET + SIZE_LENGTH;
    while (i < end && h[i] == ' ') {
      i++;
    }
    long size = 0;
    for (; i < end && h[i] != ' ' && h[i] != 0; i++) {
      if (h[i] < '0' || h[i] > '7') {
        throw new ArchiveRejectedException("not a valid tar archive (entry size is not octal)");
      }
      size = size * 8 + (h[i] - '0');
    }
    return size;
  }

  /** PAX records are {@code "<length> <key>=<value>\n"}. */
  private static void checkPaxRecords(byte[] data) throws ArchiveRejectedException {
    int at = 0;
    while (at < data.length && data[at] != 0) {
      int digits = at;
      int length = 0;
      while (digits < data.length && data[digits] >= '0' && data[digits] <= '9') {
        length = length * 10 + (data[digits] - '0');
        if (length > data.length) {
          throw new ArchiveRejectedException("not a valid tar archive (malformed PAX header record)");
        }
        digits++;
      }
      if (digits == at || digits >= data.length || data[digits] != ' ' || length <= digits - at + 1
          || at + length > data.length) {
        throw new ArchiveRejectedException("not a valid tar archive (malformed PAX header record)");
      }
      int equals = digits + 1;
      while (equals < at + length && data[equals] != '=') {
        equals++;
      }
      String key = new String(data, digits + 1, equals - digits - 1, StandardCharsets.UTF_8);
      if (key.equals("size")) {
        throw new ArchiveRejectedException("archive has a PAX header overriding an entry's size (entries over 8 GiB are not accepted)");
      }
      if (key.startsWith("GNU.sparse.")) {
        throw new ArchiveRejectedException("archive has a sparse file entry (not supported)");
      }
      at += length;
    }
  }

  private static boolean allZero(byte[] block) {
    for (byte x : block) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }
}
