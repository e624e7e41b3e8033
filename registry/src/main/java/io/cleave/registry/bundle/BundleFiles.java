package io.cleave.registry.bundle;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.bundle.TarGzUnpacker;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Content-addressed code bundles as the API handles them: uploads streamed to a fresh path, then
 * checked and filed under their digest; stored files served by digest.
 */
public interface BundleFiles {
  /** A fresh path for an upload to stream into. */
  Path newUpload();

  /** Where the bundle with this digest is (or would be) stored on this member. */
  Path path(BundleDigest digest);

  /** Whether this member stores the bundle. */
  boolean has(BundleDigest digest);

  /** Whether any member of the cluster holds the bundle. Blocking: call from a worker thread. */
  boolean held(BundleDigest digest);

  /**
   * Checks an uploaded archive with the safe-unpack rules and files it under its digest; the upload
   * is removed in every case. Blocking: call from a worker thread.
   *
   * @throws io.cleave.common.bundle.ArchiveRejectedException when the archive is malformed or hostile
   */
  TarGzUnpacker.Summary adopt(Path upload, BundleDigest digest) throws IOException;
}
