package io.cleave.forkd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The pages a fork child's first call wrote, as forkd (root) reads them from the child's
 * /proc/&lt;pid&gt;/pagemap: present and exclusively mapped pages (bits 63 and 56) of its private
 * writable mappings, which a child holds alone only once it copied them on write or made them.
 * The child itself cannot read them: it is undumpable and runs as another uid. Its seed gets
 * them in a pages order and later children it forks fault them in while parked
 * (sdk-python/fdk/working_set.py).
 */
final class FirstCallPages {
  private static final int PAGE = 4096;
  /** The seed's limits (fdk/working_set.py): the largest ranges are kept within them. */
  static final int MAX_RANGES = 4096;
  static final long MAX_PAGES = 32768;
  /** Virtual size read at most (8 bytes of pagemap per page): 4 GiB, 8 MiB read. */
  private static final long MAX_SCANNED_PAGES = 1L << 20;
  private static final Set<String> NOT_DATA = Set.of("[stack]", "[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]");
  private static final long PRESENT_EXCLUSIVE = (1L << 63) | (1L << 56);

  private FirstCallPages() {}

  /**
   * Ranges [start, end) of the process's own pages, sorted by address, within the seed's
   * limits; empty when the process is gone.
   */
  static List<long[]> read(long pid) throws IOException {
    List<long[]> found = new ArrayList<>();
    Path proc = Path.of("/proc/" + pid);
    long scanned = 0;
    try (FileChannel pagemap = FileChannel.open(proc.resolve("pagemap"), StandardOpenOption.READ)) {
      for (long[] mapping : privateWritable(ProcFs.readOrEmpty(proc.resolve("maps")))) {
        long pages = (mapping[1] - mapping[0]) / PAGE;
        if (scanned + pages > MAX_SCANNED_PAGES) {
          break;
        }
        scanned += pages;
        ByteBuffer entries = ByteBuffer.allocate((int) (pages * 8)).order(ByteOrder.LITTLE_ENDIAN);
        long at = mapping[0] / PAGE * 8;
        int n;
        do {
          n = pagemap.read(entries, at + entries.position());
        } while (n > 0 && entries.hasRemaining());
        entries.flip();
        long runStart = -1;
        for (int k = 0; k < entries.limit() / 8; k++) {
          boolean own = (entries.getLong(k * 8) & PRESENT_EXCLUSIVE) == PRESENT_EXCLUSIVE;
          long address = mapping[0] + (long) k * PAGE;
          if (own && runStart < 0) {
            runStart = address;
          } else if (!own && runStart >= 0) {
            found.add(new long[] {runStart, address});
            runStart = -1;
          }
        }
        if (runStart >= 0) {
          found.add(new long[] {runStart, mapping[0] + (long) (entries.limit() / 8) * PAGE});
        }
      }
    }
    return withinLimits(found);
  }

  /** The private writable mappings that hold data, as [start, end) pairs from a maps file. */
  static List<long[]> privateWritable(String maps) {
    List<long[]> out = new ArrayList<>();
    for (String line : maps.split("\n")) {
      String[] fields = line.trim().split("\\s+", 6);
      if (fields.length < 5 || fields[1].length() < 4 || fields[1].charAt(1) != 'w' || fields[1].charAt(3) != 'p') {
        continue;
      }
      if (fields.length == 6 && NOT_DATA.contains(fields[5].trim())) {
        continue;
      }
      int dash = fields[0].indexOf('-');
      out.add(new long[] {Long.parseUnsignedLong(fields[0].substring(0, dash), 16),
          Long.parseUnsignedLong(fields[0].substring(dash + 1), 16)});
    }
    return out;
  }

  /** The largest ranges first up to the seed's limits, then sorted by address. */
  static List<long[]> withinLimits(List<long[]> ranges) {
    List<long[]> bySize = new ArrayList<>(ranges);
    bySize.sort(Comparator.comparingLong((long[] r) -> r[0] - r[1]));
    List<long[]> kept = new ArrayList<>();
    long pages = 0;
    for (long[] r : bySize) {
      long n = (r[1] - r[0]) / PAGE;
      if (kept.size() == MAX_RANGES || pages + n > MAX_PAGES) {
        break;
      }
      kept.add(r);
      pages += n;
    }
    kept.sort(Comparator.comparingLong((long[] r) -> r[0]));
    return kept;
  }
}
