package io.cleave.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cleave} command line: each subcommand is one class registered below. */
@Command(
    name = "cleave",
    mixinStandardHelpOptions = true,
    versionProvider = CleaveVersion.class,
    description = "Cleave: serverless functions forked from an initialised seed.",
    subcommands = {CommandLine.HelpCommand.class})
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
