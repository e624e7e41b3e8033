package io.cleave.cli.commands;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code test} is run by the {@code ./cleave} launcher before Java starts (Maven, make and the
 * Python suite); it is listed here so that {@code cleave --help} shows it. Reaching this class
 * means the CLI was started some other way.
 */
@Command(name = "test",
    description = "Run the whole test suite (Java, fork primitive, kernel module in a qemu guest, Python SDK, "
        + "launcher; about 11-15 minutes on 2 cores). "
        + "The ./cleave launcher runs it: ./cleave test")
public final class TestCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("cleave: the test suite is run by the launcher script: ./cleave test (in the repository root)");
    return 1;
  }
}
