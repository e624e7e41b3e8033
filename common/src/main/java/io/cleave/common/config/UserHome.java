package io.cleave.common.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * What {@code ~} means for Cleave's files: {@code $HOME} when it is an absolute path, as for a
 * shell and the fn CLI, so {@code HOME=/some/dir cleave ...} finds what the server wrote there; the
 * account's home directory ({@code user.home}, from the password database) only without it.
 */
public final class UserHome {
  private UserHome() {}

  /** {@code ~} for this process. */
  public static Path current() {
    return of(System.getenv(), System.getProperty("user.home"));
  }

  /** {@code ~} given an environment and the account's home directory. */
  public static Path of(Map<String, String> env, String accountHome) {
    String home = env.get("HOME");
    boolean usable = home != null && !home.isBlank() && Path.of(home.strip()).isAbsolute();
    return Path.of(usable ? home.strip() : accountHome);
  }
}
