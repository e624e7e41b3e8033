package io.cleave.forkd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Consumers' bundles made visible to a kept instance's children: a kept instance's container has
 * only the producer's bundle at {@code /function}, and its mounts are fixed at start, but its
 * children dir is a host directory bound at {@code /cleave/children}. A consumer's unpacked bundle
 * is linked there once per kept instance (hard links: no data copied; a copy where the data dir
 * spans file systems), as root-owned files the instance cannot change, and goes with the dir.
 */
final class BundleLinks {
  /** Under the kept instance's children dir; no child id starts with it. */
  static final String DIR = "bundles";

  private BundleLinks() {}

  /** Links {@code bundle} into {@code into} unless it is there already; answers its name there. */
  static String linkOnce(Path bundle, Path into) throws IOException {
    String name = bundle.getFileName().toString();
    Path target = into.resolve(name);
    if (Files.isDirectory(target)) {
      return name;
    }
    Files.createDirectories(into);
    Path staged = into.resolve("." + name + "-" + UUID.randomUUID());
    try {
      linkTree(bundle, staged);
      Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
      // Another fork of the same consumer linked it first (rename onto its non-empty dir): theirs is as good.
    } finally {
      RunDirs.deleteTree(staged);
    }
    return name;
  }

  private static void linkTree(Path from, Path to) throws IOException {
    List<Path> all;
    try (Stream<Path> walk = Files.walk(from)) {
      all = walk.toList();
    }
    for (Path p : all) {
      Path dst = to.resolve(from.relativize(p).toString());
      if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createDirectory(dst);
      } else if (Files.isSymbolicLink(p)) {
        Files.createSymbolicLink(dst, Files.readSymbolicLink(p));
      } else {
        try {
          Files.createLink(dst, p);
        } catch (IOException | UnsupportedOperationException acrossFileSystems) {
          Files.copy(p, dst, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}
