package io.cleave.common.bundle;

import java.nio.charset.StandardCharsets;

/**
 * The file system's own bounds on the names an archive may create, checked before anything is
 * created: a path of at most PATH_MAX bytes, components of at most NAME_MAX bytes, and a bounded
 * depth (each level is a directory the unpacker creates and the verifier tracks).
 */
final class EntryNameBounds {
  static final int PATH_MAX = TarHeaderGuard.PATH_MAX;
  static final int NAME_MAX = 255;
  static final int MAX_DEPTH = 128;

  private EntryNameBounds() {}

  /** Refuses {@code path} (an entry name or a link target) that breaks a bound. */
  static void check(String what, String path) throws ArchiveRejectedException {
    int bytes = path.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > PATH_MAX) {
      throw new ArchiveRejectedException("archive " + what + " of " + bytes
          + " bytes is longer than PATH_MAX (" + PATH_MAX + " bytes)");
    }
    int depth = 0;
    for (String part : path.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      depth++;
      if (part.getBytes(StandardCharsets.UTF_8).length > NAME_MAX) {
        throw new ArchiveRejectedException("archive " + what + " has a component longer than NAME_MAX ("
            + NAME_MAX + " bytes): " + part.substring(0, 40) + "...");
      }
    }
    if (depth > MAX_DEPTH) {
      throw new ArchiveRejectedException("archive " + what + " is " + depth
          + " levels deep, more than the limit of " + MAX_DEPTH);
    }
  }
}
