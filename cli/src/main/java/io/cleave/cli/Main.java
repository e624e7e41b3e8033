package io.cleave.cli;

import io.cleave.cli.bench.BenchCommand;
import io.cleave.cli.commands.ActivationsCommand;
import io.cleave.cli.commands.ConfigCommand;
import io.cleave.cli.commands.CreateCommand;
import io.cleave.cli.commands.DeleteCommand;
import io.cleave.cli.commands.DeployCommand;
import io.cleave.cli.commands.InitCommand;
import io.cleave.cli.commands.InspectCommand;
import io.cleave.cli.commands.InvokeCommand;
import io.cleave.cli.commands.ListCommand;
import io.cleave.cli.commands.UpdateCommand;
import io.cleave.cli.replay.ReplayCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cleave} command line: each subcommand is one class registered below. */
@Command(
    name = "cleave",
    mixinStandardHelpOptions = true,
    versionProvider = CleaveVersion.class,
    description = "Cleave: serverless functions forked from an initialised seed.",
    subcommands = {
      CommandLine.HelpCommand.class,
      // fn-style commands (io.cleave.cli.commands)
      InitCommand.class, DeployCommand.class, InvokeCommand.class, ListCommand.class, CreateCommand.class,
      ConfigCommand.class, ConfigCommand.Get.class, ConfigCommand.Unset.class, InspectCommand.class,
      DeleteCommand.class, UpdateCommand.class, ActivationsCommand.class,
      io.cleave.cli.server.ServerCommand.class,
      // trace replay and benchmarks (io.cleave.cli.replay, io.cleave.cli.bench)
      ReplayCommand.class, BenchCommand.class,
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
