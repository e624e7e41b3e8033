package io.cleave.scheduler.bundle;

import io.cleave.common.bundle.ArchiveRejectedException;
import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.bundle.BundleSource;
import io.cleave.common.bundle.TarGzUnpacker;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.error.ApiError;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Code bundles on this node's disk, content addressed: {@code <data>/bundles/sha256/<hex>.tar.gz}.
 * Uploads land in {@code <data>/bundles/incoming/} and are renamed into place once verified, so a
 * bundle file is complete whenever it exists; the same content is stored once.
 */
public final class BundleStore implements BundleSource {
  private final Path byDigest;
  private final Path incoming;
  private final TarGzUnpacker unpacker;

  public BundleStore(Path dataDir, UnpackLimits limits) {
    Path root = dataDir.resolve("bundles");
    this.byDigest = root.resolve("sha256");
    this.incoming = root.resolve("incoming");
    this.unpacker = new TarGzUnpacker(limits);
    try {
      Files.createDirectories(byDigest);
      Files.createDirectories(incoming);
      // Partial uploads of a previous run are worthless.
      try (Stream<Path> leftovers = Files.list(incoming)) {
        for (Path p : leftovers.toList()) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare the bundle directory " + root + ": " + e.getMessage(), e);
    }
  }

  /** A fresh path in the incoming directory for an upload to stream into. */
  public Path newUpload() {
    return incoming.resolve(UUID.randomUUID() + ".part");
  }

  public Path path(BundleDigest digest) {
    return byDigest.resolve(digest.hex() + ".tar.gz");
  }

  public boolean has(BundleDigest digest) {
    return Files.isRegularFile(path(digest));
  }

  /**
   * Checks an uploaded archive with the safe-unpack rules and files it under its digest. The
   * upload is removed in every case. Blocking: call from a worker thread.
   *
   * @throws ArchiveRejectedException when the archive is malformed or hostile (nothing is kept)
   */
  public TarGzUnpacker.Summary adopt(Path upload, BundleDigest digest) throws IOException {
    try {
      TarGzUnpacker.Summary summary = unpacker.verify(upload);
      if (summary.files() == 0) {
        throw new ArchiveRejectedException("archive contains no files");
      }
      Path target = path(digest);
      if (!Files.exists(target)) {
        try {
          Files.move(upload, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
          if (!Files.exists(target)) {
            throw e;
          }
        }
      }
      return summary;
    } finally {
      Files.deleteIfExists(upload);
    }
  }

  @Override
  public Future<Path> archive(BundleDigest digest) {
    Path p = path(digest);
    return Files.isRegularFile(p) ? Future.succeededFuture(p)
        : Future.failedFuture(new ApiError(404, "bundle " + digest + " not found"));
  }
}
