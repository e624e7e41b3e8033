package io.cleave.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cleave bench}: the benchmarks; each experiment is a subcommand listed here, except those
 * that bring up a cluster ({@code spike}, {@code cluster}), which {@code Main} adds with the cluster classes.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that reproduce the design's reference experiments on this machine.",
    resourceBundle = "io.cleave.bench.replay.OptionDescriptions",
    subcommands = {StartupBenchCommand.class, RemoteForkBenchCommand.class, FinraBenchCommand.class})
public final class BenchCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
