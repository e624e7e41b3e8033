package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.cli.api.FnLimits;
import picocli.CommandLine.Option;

/**
 * A function's {@code --memory}, {@code --timeout} and {@code --idle-timeout}, checked against the
 * server's ranges before anything is sent. Descriptions per command are in
 * {@code OptionDescriptions.properties}.
 */
final class LimitOptions {
  @Option(names = {"--memory", "-m"}, paramLabel = "MB", descriptionKey = "memory") Integer memory;
  @Option(names = "--timeout", paramLabel = "SECONDS", descriptionKey = "timeout") Integer timeout;
  @Option(names = "--idle-timeout", paramLabel = "SECONDS", descriptionKey = "idle-timeout") Integer idleTimeout;

  /** A value out of range is a usage error. */
  void check() {
    FnLimits.MEMORY.checkOption(memory);
    FnLimits.TIMEOUT.checkOption(timeout);
    FnLimits.IDLE_TIMEOUT.checkOption(idleTimeout);
  }

  /** Sets the limits given in {@code body}; answers the body. */
  ObjectNode addTo(ObjectNode body) {
    if (memory != null) {
      body.put("memory", memory);
    }
    if (timeout != null) {
      body.put("timeout", timeout);
    }
    if (idleTimeout != null) {
      body.put("idle_timeout", idleTimeout);
    }
    return body;
  }
}
