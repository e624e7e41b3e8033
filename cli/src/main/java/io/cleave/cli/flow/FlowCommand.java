package io.cleave.cli.flow;

import picocli.CommandLine.Command;

/** {@code cleave flow ...}: workflows (deploy, run, runs, status, graph). */
@Command(name = "flow", description = "Workflows: deploy a flow.yaml, run a flow, follow runs, draw them.",
    subcommands = {FlowDeploy.class, FlowRunCommand.class, FlowRunsCommand.class, FlowStatusCommand.class,
        FlowGraphCommand.class})
public final class FlowCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }
}
