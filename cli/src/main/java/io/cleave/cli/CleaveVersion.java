package io.cleave.cli;

import picocli.CommandLine.IVersionProvider;

/** Reports the version Maven stamped into the jar manifest, or "dev" when run from classes. */
public final class CleaveVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {"cleave " + (v == null ? "dev" : v)};
  }
}
