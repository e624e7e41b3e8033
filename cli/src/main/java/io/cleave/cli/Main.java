package io.cleave.cli;

import io.cleave.client.UsageErrors;
import io.cleave.bench.BenchCommand;
import io.cleave.bench.SpikeBenchCommand;
import io.cleave.cli.commands.ActivationsCommand;
import io.cleave.cli.commands.ConfigCommand;
import io.cleave.cli.commands.CreateCommand;
import io.cleave.cli.commands.DeleteCommand;
import io.cleave.cli.commands.DeployCommand;
import io.cleave.cli.commands.HelpCommand;
import io.cleave.cli.commands.InitCommand;
import io.cleave.cli.commands.InspectCommand;
import io.cleave.cli.commands.InvokeCommand;
import io.cleave.cli.commands.KeysCommand;
import io.cleave.cli.commands.ListCommand;
import io.cleave.cli.commands.TestCommand;
import io.cleave.cli.commands.UpdateCommand;
import io.cleave.bench.replay.ReplayCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * The {@code cleave} command line: each subcommand is one class registered below. The standard
 * help options are inherited ({@code scope = INHERIT}) so every command and subcommand answers
 * {@code --help} and {@code -h}, required options and parameters notwithstanding.
 */
@Command(
    name = "cleave",
    mixinStandardHelpOptions = true,
    scope = ScopeType.INHERIT,
    versionProvider = CleaveVersion.class,
    description = "Cleave: serverless functions forked from an initialised seed.",
    subcommands = {
      HelpCommand.class,
      // fn-style commands (io.cleave.cli.commands)
      InitCommand.class, DeployCommand.class, InvokeCommand.class, ListCommand.class, CreateCommand.class,
      ConfigCommand.class, ConfigCommand.Get.class, ConfigCommand.Unset.class, InspectCommand.class,
      DeleteCommand.class, UpdateCommand.class, ActivationsCommand.class, KeysCommand.class,
      io.cleave.cli.flow.FlowCommand.class,
      io.cleave.server.ServerCommand.class, TestCommand.class,
      // several nodes on this machine (io.cleave.cli.cluster)
      io.cleave.cli.cluster.ClusterCommand.class,
      // trace replay and benchmarks (io.cleave.bench.replay, io.cleave.bench)
      ReplayCommand.class, BenchCommand.class,
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line as users get it; tests run this same one. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    // The bench module cannot see the cluster classes (cli depends on bench), so the benchmarks that
    // bring up a cluster are added here; before the settings below, which reach subcommands added so far.
    CommandLine bench = cl.getSubcommands().get("bench");
    bench.addSubcommand(new SpikeBenchCommand(new io.cleave.cli.cluster.SpikeClusters()));
    bench.addSubcommand(new io.cleave.cli.cluster.ClusterBenchCommand());
    return cl.setCaseInsensitiveEnumValuesAllowed(true)
        .setParameterExceptionHandler(new UsageErrors());
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
