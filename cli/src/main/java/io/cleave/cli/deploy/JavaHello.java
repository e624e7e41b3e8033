package io.cleave.cli.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fn's Java hello world as {@code fn init --runtime java} writes it, depending on Cleave's
 * implementation of Fn's API (io.cleave:cleave-fn-api, scope provided: the runtime carries it).
 * Plugin versions are pinned to the ones Cleave's own build uses, so a machine that built Cleave
 * builds the function without downloading anything but its own dependencies.
 */
public final class JavaHello {
  public static final String CMD = "com.example.fn.HelloFunction::handleRequest";

  static final String POM = """
      <?xml version="1.0" encoding="UTF-8"?>
      <project xmlns="http://maven.apache.org/POM/4.0.0"
               xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
               xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
        <modelVersion>4.0.0</modelVersion>
        <groupId>com.example.fn</groupId>
        <artifactId>%s</artifactId>
        <version>1.0.0</version>
        <packaging>jar</packaging>

        <properties>
          <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          <maven.compiler.release>17</maven.compiler.release>
          <fdk.version>%s</fdk.version>
        </properties>

        <dependencies>
          <!-- Fn's com.fnproject.fn.api as Cleave implements it; the runtime provides it. -->
          <dependency>
            <groupId>io.cleave</groupId>
            <artifactId>cleave-fn-api</artifactId>
            <version>${fdk.version}</version>
            <scope>provided</scope>
          </dependency>
          <dependency>
            <groupId>org.junit.jupiter</groupId>
            <artifactId>junit-jupiter</artifactId>
            <version>5.11.4</version>
            <scope>test</scope>
          </dependency>
        </dependencies>

        <build>
          <plugins>
            <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>
            <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.5.2</version></plugin>
            <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
            <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
            <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version></plugin>
          </plugins>
        </build>
      </project>
      """;

  static final String FUNCTION = """
      package com.example.fn;

      public class HelloFunction {

          public String handleRequest(String input) {
              String name = (input == null || input.isEmpty()) ? "world" : input;

              System.out.println("Inside Java Hello World function");
              return "Hello, " + name + "!";
          }

      }
      """;

  static final String TEST = """
      package com.example.fn;

      import static org.junit.jupiter.api.Assertions.assertEquals;

      import org.junit.jupiter.api.Test;

      public class HelloFunctionTest {

          @Test
          public void shouldReturnGreeting() {
              assertEquals("Hello, Alice!", new HelloFunction().handleRequest("Alice"));
          }

          @Test
          public void shouldGreetTheWorldWithoutInput() {
              assertEquals("Hello, world!", new HelloFunction().handleRequest(""));
          }

      }
      """;

  private JavaHello() {}

  /** Writes pom.xml and the function with its test into dir. */
  public static void write(Path dir, String name) throws IOException {
    Files.writeString(dir.resolve("pom.xml"), POM.formatted(name, FnApiArtifact.VERSION), StandardCharsets.UTF_8);
    Path main = Files.createDirectories(dir.resolve("src/main/java/com/example/fn"));
    Files.writeString(main.resolve("HelloFunction.java"), FUNCTION, StandardCharsets.UTF_8);
    Path test = Files.createDirectories(dir.resolve("src/test/java/com/example/fn"));
    Files.writeString(test.resolve("HelloFunctionTest.java"), TEST, StandardCharsets.UTF_8);
  }
}
