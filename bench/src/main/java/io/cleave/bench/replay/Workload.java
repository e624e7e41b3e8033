package io.cleave.bench.replay;

import io.cleave.common.bundle.TarGzBundle;
import java.util.Map;
import java.nio.file.Path;
import io.cleave.bench.BundledImages;
import java.util.List;
import java.util.Locale;

/**
 * What a replayed trace function runs on the platform. Each workload is a Python function bundled
 * in the CLI's resources under {@code io/cleave/cli/replay/functions/<name>/}.
 */
public enum Workload {
  /** Runs for the drawn duration and touches the drawn memory (the default stand-in for any trace function). */
  TRACE("trace", 0),
  /** Thumbnails of real photographs with numpy + PIL, the images decoded at initialisation. */
  IMAGE("image", 384);

  static final int MIN_MEMORY_MB = 128;
  /** What the trace function's interpreter and runtime take besides the memory it is drawn to touch. */
  static final int RUNTIME_SHARE_MB = 64;
  static final List<String> FILES = List.of("func.py", "func.yaml");

  private final String dirName;
  private final int memoryMb;

  Workload(String dirName, int memoryMb) {
    this.dirName = dirName;
    this.memoryMb = memoryMb;
  }

  public String dirName() {
    return dirName;
  }

  /**
   * The function's memory limit in MB for a trace function whose calls touch up to
   * {@code touchedMb} ({@link Schedule#highestMemoryMb}): the workload's own need, or the touched
   * memory plus the interpreter's share ({@value #RUNTIME_SHARE_MB} MB), rounded up to 32 MB; never
   * below Fn's minimum of 128 MB. The trace function holds one buffer of the drawn size at a time.
   */
  public int memoryLimitMb(int touchedMb) {
    if (memoryMb > 0) {
      return memoryMb;
    }
    int need = touchedMb + RUNTIME_SHARE_MB;
    return Math.max(MIN_MEMORY_MB, (need + 31) / 32 * 32);
  }

  /** The tar.gz code bundle of the workload's function (the image function's with the photographs of {@code imageDir}). */
  byte[] bundle(Path imageDir) {
    return TarGzBundle.ofResources(Workload.class, "functions/" + dirName, FILES,
        this == IMAGE ? BundledImages.of(imageDir) : Map.of());
  }

  public static Workload parse(String s) {
    for (Workload w : values()) {
      if (w.dirName.equals(s.trim().toLowerCase(Locale.ROOT))) {
        return w;
      }
    }
    throw new IllegalArgumentException("unknown workload '" + s + "' (trace, image)");
  }
}
