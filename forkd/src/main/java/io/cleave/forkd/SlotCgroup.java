package io.cleave.forkd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A fork slot's cgroup, which outlives its children: once a child is deleted, its cgroup is made
 * clean ({@link CgroupLayout#reusable}, {@link CgroupLayout#resetForReuse}) and serves the next slot, instead of an rmdir per
 * child and three mkdirs per slot. It remembers the limits last written to it, so a child with
 * the same limits as the one before writes none, and it keeps the files it writes at each fork
 * ({@code cgroup.procs}) and each reuse open from the first time, so that is a read or write per
 * file with no path walk. Used by one thread at a time (a slot's maker, then its fork, then its
 * delete, handed over through synchronized queues).
 */
final class SlotCgroup implements AutoCloseable {
  /** A fork child's memory and cpu limits, as {@link CgroupLayout#limitMemoryAndCpu} takes them. */
  record Limits(long memoryBytes, int cpuShares, long cpuQuotaUs) {}

  final Cgroup cgroup;
  /** When it was kept after its last child (System.nanoTime). */
  long keptAt;
  /** What is written in the cgroup's limit files; null while they hold the kernel's defaults. */
  private Limits limits;
  /** {@code cgroup.procs} per hierarchy, opened at the first join. */
  private FileChannel[] procs;
  /** Files of its memory cgroup read or written at each reuse, by name, opened at the first. */
  private final Map<String, FileChannel> memoryFiles = new HashMap<>();

  SlotCgroup(Cgroup cgroup) {
    this.cgroup = cgroup;
  }

  /** Writes what differs from the limits already there. */
  void limit(CgroupLayout layout, Limits wanted) throws IOException {
    // Unknown limits until the writes all went in: a failed fork removes the cgroup, a later one rewrites all.
    Limits was = limits;
    limits = null;
    layout.limitMemoryAndCpu(cgroup, wanted, was);
    limits = wanted;
  }

  /** Moves {@code pid} into the cgroup in every hierarchy. */
  void join(long pid) throws IOException {
    if (procs == null) {
      List<Path> dirs = cgroup.dirs();
      FileChannel[] opened = new FileChannel[dirs.size()];
      try {
        for (int i = 0; i < opened.length; i++) {
          opened[i] = FileChannel.open(dirs.get(i).resolve("cgroup.procs"), StandardOpenOption.WRITE);
        }
      } catch (IOException e) {
        closeAll(opened);
        throw e;
      }
      procs = opened;
    }
    byte[] text = Long.toString(pid).getBytes(StandardCharsets.US_ASCII);
    for (FileChannel ch : procs) {
      ch.write(ByteBuffer.wrap(text), 0);
    }
  }

  /** A number a file of its memory cgroup holds (0 when empty). */
  long readMemoryFile(String name) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(32);
    FileChannel ch = memoryFile(name, StandardOpenOption.READ);
    while (ch.read(buf, buf.position()) > 0 && buf.hasRemaining()) {
      // A cgroup file reads whole from offset 0; a short read goes on where it stopped.
    }
    String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).trim();
    return text.isEmpty() ? 0 : Long.parseLong(text);
  }

  void writeMemoryFile(String name, String value) throws IOException {
    memoryFile(name, StandardOpenOption.WRITE).write(ByteBuffer.wrap(value.getBytes(StandardCharsets.US_ASCII)), 0);
  }

  private FileChannel memoryFile(String name, StandardOpenOption mode) throws IOException {
    FileChannel ch = memoryFiles.get(name);
    if (ch == null) {
      ch = FileChannel.open(cgroup.memoryDir().resolve(name), mode);
      memoryFiles.put(name, ch);
    }
    return ch;
  }

  /** Closes its open files (the cgroup itself is removed by {@link CgroupLayout#remove}). */
  @Override
  public void close() {
    if (procs != null) {
      closeAll(procs);
      procs = null;
    }
    closeAll(memoryFiles.values().toArray(new FileChannel[0]));
    memoryFiles.clear();
  }

  private static void closeAll(FileChannel[] channels) {
    for (FileChannel ch : channels) {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // Nothing was written through it that a close could lose.
        }
      }
    }
  }
}
