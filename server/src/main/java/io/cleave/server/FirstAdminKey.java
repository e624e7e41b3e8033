package io.cleave.server;

import io.cleave.common.access.IssuedKey;
import io.cleave.common.access.KeyFile;
import io.cleave.registry.KeyRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The first admin key of a cluster: made when the registry holds no admin key and the server was
 * given none ({@code --admin-key}), shown once on stderr and written (mode 0600) where the
 * {@code cleave} CLI looks, so the user who started the server can use the CLI at once.
 */
final class FirstAdminKey {
  private FirstAdminKey() {}

  /** Makes the key if there is none yet; blocking (a cluster-wide lock, a synced write). */
  static void ensure(KeyRegistry keys, boolean configuredAdminKey, Path keyFile, PrintStream err) {
    if (configuredAdminKey) {
      return;
    }
    Optional<IssuedKey> created = keys.createFirstAdminKey();
    if (created.isEmpty()) {
      return;
    }
    IssuedKey issued = created.get();
    err.println("cleave: created the first admin key (shown this once): " + issued.text());
    try {
      KeyFile.write(keyFile, issued.text());
      err.println("cleave: saved it to " + keyFile.toAbsolutePath() + " (mode 0600), where the cleave CLI finds it;"
          + " make more keys with `cleave keys create`");
    } catch (IOException e) {
      err.println("cleave: could not save it to " + keyFile + " (" + e.getMessage() + "): keep it from the line above");
    }
    err.flush();
  }
}
