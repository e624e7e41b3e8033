package io.cleave.cli.commands;

import picocli.CommandLine.Option;

/** {@code --output table|json} for listing commands. */
public final class OutputOption {
  public enum Format { table, json }

  @Option(names = {"--output", "-o"}, paramLabel = "FORMAT", defaultValue = "table",
      description = "Output format: table or json (default: ${DEFAULT-VALUE})")
  Format format;

  public boolean json() {
    return format == Format.json;
  }
}
