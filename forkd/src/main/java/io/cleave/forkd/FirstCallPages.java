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
 * writable mappings, which a child holds alone only once it copied them on write or made them;
 * and the present pages (bit 63) of its read-only private file mappings (code and constants of
 * the interpreter and its libraries), which fork does not map into a child (it leaves their page
 * tables empty), so each present one is one the child faulted in since. The child itself cannot
 * read them: it is undumpable and runs as another uid. Its seed gets them in a pages order and
 * later children it forks fault them in while parked (sdk-python/fdk/working_set.py).
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
  private static final long PRESENT = 1L << 63;

  /** A mapping [start, end) whose pages count when their pagemap entry has all bits of {@code mask}. */
  record Mapping(long start, long end, long mask) {}

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
      for (Mapping mapping : learnable(ProcFs.readOrEmpty(proc.resolve("maps")))) {
        long pages = (mapping.end() - mapping.start()) / PAGE;
        if (scanned + pages > MAX_SCANNED_PAGES) {
          continue;
        }
        scanned += pages;
        ByteBuffer entries = ByteBuffer.allocate((int) (pages * 8)).order(ByteOrder.LITTLE_ENDIAN);
        long at = mapping.start() / PAGE * 8;
        int n;
        do {
          n = pagemap.read(entries, at + entries.position());
        } while (n > 0 && entries.hasRemaining());
        entries.flip();
        long runStart = -1;
        for (int k = 0; k < entries.limit() / 8; k++) {
          boolean own = (entries.getLong(k * 8) & mapping.mask()) == mapping.mask();
          long address = mapping.start() + (long) k * PAGE;
          if (own && runStart < 0) {
            runStart = address;
          } else if (!own && runStart >= 0) {
            found.add(new long[] {runStart, address});
            runStart = -1;
          }
        }
        if (runStart >= 0) {
          found.add(new long[] {runStart, mapping.start() + (long) (entries.limit() / 8) * PAGE});
        }
      }
    }
    return withinLimits(found);
  }

  /**
   * From a maps file, the private mappings a child faults pages of in: writable ones that hold
   * data (its own pages count), and read-only ones of a file (present pages count).
   */
  static List<Mapping> learnable(String maps) {
    List<Mapping> out = new ArrayList<>();
    for (String line : maps.split("\n")) {
      String[] fields = line.trim().split("\\s+", 6);
      if (fields.length < 5 || fields[1].length() < 4 || fields[1].charAt(3) != 'p') {
        continue;
      }
      String name = fields.length == 6 ? fields[5].trim() : "";
      long mask;
      if (fields[1].charAt(1) == 'w' && !NOT_DATA.contains(name)) {
        mask = PRESENT_EXCLUSIVE;
      } else if (fields[1].charAt(0) == 'r' && fields[1].charAt(1) != 'w' && name.startsWith("/")) {
        mask = PRESENT;
      } else {
        continue;
      }
      int dash = fields[0].indexOf('-');
      out.add(new Mapping(Long.parseUnsignedLong(fields[0].substring(0, dash), 16),
          Long.parseUnsignedLong(fields[0].substring(dash + 1), 16), mask));
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
