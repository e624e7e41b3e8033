package io.cleave.cli.deploy;

import io.cleave.client.CliFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cleave's Fn API jar (io.cleave:cleave-fn-api) put into the user's local Maven repository, the
 * way {@code mvn install} would put it there, so a Java function's pom resolves it on a machine
 * where only Cleave was built: nothing of Cleave is published to a remote repository. It has no
 * dependencies, so its pom here stands alone (no parent to resolve).
 */
public final class FnApiArtifact {
  public static final String GROUP = "io.cleave";
  public static final String ARTIFACT = "cleave-fn-api";
  public static final String VERSION = "0.1.0";

  private static final Pattern LOCAL_REPOSITORY = Pattern.compile("<localRepository>\\s*([^<]+?)\\s*</localRepository>");

  static final String POM = """
      <?xml version="1.0" encoding="UTF-8"?>
      <project xmlns="http://maven.apache.org/POM/4.0.0">
        <modelVersion>4.0.0</modelVersion>
        <groupId>%s</groupId>
        <artifactId>%s</artifactId>
        <version>%s</version>
        <name>Cleave's implementation of Fn's Java API (com.fnproject.fn.api)</name>
      </project>
      """.formatted(GROUP, ARTIFACT, VERSION);

  private FnApiArtifact() {}

  /** The API jar the Cleave build made. */
  public static Path builtJar(Path cleaveHome) {
    Path jar = cleaveHome.resolve("sdk-java/api/target/cleave-fn-api.jar");
    if (!Files.isRegularFile(jar)) {
      throw new CliFailure("Cleave's Java API is not built (" + jar + " is missing); run ./cleave once to build it");
    }
    return jar;
  }

  /** Maven's local repository: ~/.m2/settings.xml's localRepository, else ~/.m2/repository. */
  public static Path localRepository() throws IOException {
    Path m2 = Path.of(System.getProperty("user.home"), ".m2");
    Path settings = m2.resolve("settings.xml");
    if (Files.isRegularFile(settings)) {
      Matcher m = LOCAL_REPOSITORY.matcher(Files.readString(settings, StandardCharsets.UTF_8));
      if (m.find()) {
        return Path.of(m.group(1).replace("${user.home}", System.getProperty("user.home")));
      }
    }
    return m2.resolve("repository");
  }

  /** Puts the jar and its pom into the repository unless the same jar is there already; answers its directory. */
  public static Path install(Path cleaveHome, Path repository) throws IOException {
    Path jar = builtJar(cleaveHome);
    Path dir = repository.resolve(GROUP.replace('.', '/')).resolve(ARTIFACT).resolve(VERSION);
    Path targetJar = dir.resolve(ARTIFACT + "-" + VERSION + ".jar");
    Path targetPom = dir.resolve(ARTIFACT + "-" + VERSION + ".pom");
    byte[] bytes = Files.readAllBytes(jar);
    if (Files.isRegularFile(targetJar) && Files.isRegularFile(targetPom)
        && Arrays.equals(bytes, Files.readAllBytes(targetJar))) {
      return dir;
    }
    Files.createDirectories(dir);
    // Written aside and renamed, so a concurrent build never reads half a jar.
    Path tmpJar = Files.createTempFile(dir, ARTIFACT, ".jar.part");
    Path tmpPom = Files.createTempFile(dir, ARTIFACT, ".pom.part");
    try {
      Files.write(tmpJar, bytes);
      Files.writeString(tmpPom, POM, StandardCharsets.UTF_8);
      Files.move(tmpPom, targetPom, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.move(tmpJar, targetJar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmpJar);
      Files.deleteIfExists(tmpPom);
    }
    return dir;
  }
}
