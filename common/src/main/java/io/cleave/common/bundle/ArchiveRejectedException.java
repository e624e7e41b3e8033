package io.cleave.common.bundle;

import java.io.IOException;

/** An archive that is malformed or would escape its directory, exceed a limit or create special files. */
public final class ArchiveRejectedException extends IOException {
  public ArchiveRejectedException(String message) {
    super(message);
  }

  public ArchiveRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
