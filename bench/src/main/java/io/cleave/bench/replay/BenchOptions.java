package io.cleave.bench.replay;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options that {@code cleave replay} and the {@code cleave bench} experiments share, as picocli
 * mixins. A command's own default is the value its mixin instance starts with; where commands
 * word an option differently, the text is in {@code OptionDescriptions.properties}, keyed by the
 * command's full name.
 */
public final class BenchOptions {
  private BenchOptions() {}

  /** {@code --out DIR}. */
  public static final class OutputDir {
    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: ${DEFAULT-VALUE})")
    Path dir;

    public OutputDir(Path defaultDir) {
      this.dir = defaultDir;
    }

    public Path dir() {
      return dir;
    }
  }

  /** {@code --image-dir DIR}: the photographs the image functions read. */
  public static final class ImageDir {
    @Option(names = "--image-dir", paramLabel = "DIR", descriptionKey = "image-dir")
    Path dir;

    /** The directory given, else the shared data's {@code images}. */
    public Path dir() {
      return dir != null ? dir : SharedData.dir().resolve("images");
    }
  }

  /** {@code --server-arg ARG}, repeatable: passed to each server the command starts. */
  public static final class ServerArgs {
    @Option(names = "--server-arg", paramLabel = "ARG", descriptionKey = "server-arg")
    List<String> args = new ArrayList<>();

    public List<String> args() {
      return args;
    }
  }

  /** {@code --no-progress}. */
  public static final class Progress {
    @Option(names = "--no-progress", descriptionKey = "no-progress")
    boolean off;

    public boolean shown() {
      return !off;
    }
  }

  /** {@code --max-in-flight N} and {@code --call-timeout S}: the open-loop driver's bounds. */
  public static final class InFlight {
    @Option(names = "--max-in-flight", paramLabel = "N",
        description = "Outstanding calls at most; more are dropped (default: ${DEFAULT-VALUE})")
    int max = 256;

    @Option(names = "--call-timeout", paramLabel = "S", descriptionKey = "call-timeout")
    Integer callTimeoutS;

    /** {@code defaultCallTimeoutS}: the command's default, null when it depends on other options. */
    public InFlight(Integer defaultCallTimeoutS) {
      this.callTimeoutS = defaultCallTimeoutS;
    }

    public int max() {
      return max;
    }

    /** The call timeout given, else {@code presetS}. */
    public long callTimeoutMs(int presetS) {
      return 1000L * (callTimeoutS != null ? callTimeoutS : presetS);
    }
  }

  /** {@code --tail S} and {@code --max-tail S}: how long {@code /metrics} is still sampled after the last answer. */
  public static final class Tail {
    @Option(names = "--tail", paramLabel = "S", descriptionKey = "tail")
    Double seconds;

    @Option(names = "--max-tail", paramLabel = "S", descriptionKey = "max-tail")
    Double maxSeconds;

    /** The command's defaults, null when they depend on other options. */
    public Tail(Double defaultSeconds, Double defaultMaxSeconds) {
      this.seconds = defaultSeconds;
      this.maxSeconds = defaultMaxSeconds;
    }

    /** The tail given, else {@code presetS}. */
    public long tailMs(double presetS) {
      return Math.round(tail(presetS) * 1000);
    }

    /** The longest tail given, else {@code presetS}; never shorter than the tail. */
    public long maxTailMs(double tailPresetS, double presetS) {
      return Math.round(Math.max(tail(tailPresetS), maxSeconds != null ? maxSeconds : presetS) * 1000);
    }

    private double tail(double presetS) {
      return seconds != null ? seconds : presetS;
    }
  }
}
