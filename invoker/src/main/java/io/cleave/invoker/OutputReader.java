package io.cleave.invoker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads a call's slice of its instance's output file, across forkd's rotations, bounded.
 * forkd rotates by copying the file to {@code output.1} (a new file each time) and emptying it,
 * so output.1's file key tells whether, and the slice's offsets where, the bytes went.
 */
final class OutputReader {
  /** Where forkd moves an instance's output when it rotates it (docs/CONTRACTS.md). */
  static final String ROTATED = "output.1";

  /** A byte range of one file; {@code to} -1 reads to the file's end. */
  private record Piece(Path file, long from, long to) {}

  private OutputReader() {}

  /**
   * output.1's file key now (null when there is none): it changes with every rotation. A stat, no
   * wait. Asked at every call's end, where there is usually no output.1: File.exists answers that
   * without the exception readAttributes throws (which cost ~20 µs a call).
   */
  static Object rotation(Path output) {
    if (output == null) {
      return null;
    }
    Path rotated = output.resolveSibling(ROTATED);
    if (!rotated.toFile().exists()) {
      return null;
    }
    try {
      return Files.readAttributes(rotated, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    } catch (IOException none) {
      return null;
    }
  }

  /** At most {@code limit} bytes of the slice, with a marker saying how much more there was. Blocking. */
  static String read(CallRecords.OutputSlice slice, int limit) throws IOException {
    Path output = slice.output();
    Path rotated = output.resolveSibling(ROTATED);
    List<Piece> pieces = slice.rotatedDuring()
        ? List.of(new Piece(rotated, slice.from(), -1), new Piece(output, 0, slice.to()))
        : List.of(new Piece(output, slice.from(), slice.to()));
    boolean lost = false;
    if (!Objects.equals(rotation(output), slice.rotation())) {
      // Rotated again since the call ended: what was in output is in output.1 now; the old output.1 is gone.
      List<Piece> moved = new ArrayList<>();
      for (Piece p : pieces) {
        if (p.file().equals(rotated)) {
          lost = true;
        } else {
          moved.add(new Piece(rotated, p.from(), p.to()));
        }
      }
      pieces = moved;
    }
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    long length = 0;
    for (Piece piece : pieces) {
      length += append(piece, limit - text.size(), text);
    }
    String out = (lost ? "[cleave: the start of this call's output was rotated away]\n" : "")
        + text.toString(StandardCharsets.UTF_8);
    return length > text.size() ? out + "\n[cleave: output truncated, " + (length - text.size()) + " more bytes]\n"
        : out;
  }

  /** Appends at most {@code room} bytes of the piece; answers the piece's length. */
  private static long append(Piece piece, int room, ByteArrayOutputStream into) throws IOException {
    try (FileChannel ch = FileChannel.open(piece.file())) {
      long to = piece.to() < 0 ? ch.size() : Math.min(piece.to(), ch.size());
      long length = Math.max(0, to - piece.from());
      ByteBuffer buf = ByteBuffer.allocate((int) Math.max(0, Math.min(length, room)));
      while (buf.hasRemaining() && ch.read(buf, piece.from() + buf.position()) >= 0) {
        // read up to the bound
      }
      into.write(buf.array(), 0, buf.position());
      return length;
    } catch (NoSuchFileException gone) {
      return 0;
    }
  }
}
