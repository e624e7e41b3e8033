package io.cleave.cli.commands;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help.ColorScheme;
import picocli.CommandLine.IHelpCommandInitializable2;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code cleave help [COMMAND [SUBCOMMAND ...]]}: the usage of the command the path names, at any
 * depth ({@code cleave help list fns}); picocli's own help command stops at the first level.
 */
@Command(name = "help", helpCommand = true,
    description = "Show the help of a command, e.g. `cleave help list fns` (same as `cleave list fns --help`).")
public final class HelpCommand implements IHelpCommandInitializable2, Runnable {
  @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "A command and its subcommands")
  List<String> path = new ArrayList<>();

  private CommandLine self;
  private ColorScheme colorScheme;
  private PrintWriter out;

  @Override
  public void init(CommandLine helpCommandLine, ColorScheme colorScheme, PrintWriter out, PrintWriter err) {
    this.self = helpCommandLine;
    this.colorScheme = colorScheme;
    this.out = out;
  }

  @Override
  public void run() {
    CommandLine target = self.getParent();
    for (String name : path) {
      CommandLine next = target.getSubcommands().get(name);
      if (next == null) {
        throw new ParameterException(self, "unknown command '" + name + "' under '"
            + target.getCommandSpec().qualifiedName() + "' (its commands: "
            + String.join(", ", target.getCommandSpec().subcommands().values().stream()
                .map(c -> c.getCommandName()).distinct().toList()) + ")");
      }
      target = next;
    }
    target.usage(out, colorScheme);
    out.flush();
  }
}
