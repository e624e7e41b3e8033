package io.cleave.forkd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * One real forkd for a whole test class (registered on a field of a PER_CLASS class): {@link
 * #start} makes the class's temporary directory, where its bundles go too, and starts forkd in it;
 * after the class's tests forkd stops and the directory goes; a failed test prints forkd's log.
 */
final class ForkdOnce implements AfterAllCallback, TestWatcher {
  private final String name;
  Path tmp;
  ForkdProcess forkd;

  ForkdOnce(String name) {
    this.name = name;
  }

  /** Builds the helper if needed and starts forkd with {@code knobs} (CLEAVE_FORKD_* variables). */
  ForkdProcess start(Map<String, String> knobs) throws Exception {
    ForkdProcess.buildHelper();
    tmp = Files.createTempDirectory(name);
    forkd = ForkdProcess.start(tmp.resolve("data"), knobs);
    return forkd;
  }

  /** A bundle of the test resource {@code resource} as {@code file}, in a directory of the class's own. */
  Path bundle(String dir, String resource, String file) throws Exception {
    return ForkdProcess.bundle(tmp.resolve(dir), resource, file);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    if (forkd != null) {
      System.err.println("forkd log after " + context.getDisplayName() + " failed:\n" + ForkdProcess.log(forkd.dataDir));
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (forkd != null) {
      forkd.stop();
    }
    if (tmp != null) {
      RunDirs.deleteTree(tmp);
    }
  }
}
