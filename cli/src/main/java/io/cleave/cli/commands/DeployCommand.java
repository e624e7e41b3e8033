package io.cleave.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.cli.deploy.BundleArchive;
import io.cleave.cli.cluster.NodeLauncher;
import io.cleave.cli.deploy.FuncFile;
import io.cleave.cli.deploy.JavaBuild;
import io.cleave.cli.deploy.JavaRuntime;
import io.cleave.cli.deploy.PythonPackages;
import io.cleave.cli.deploy.PythonRuntime;
import io.cleave.cli.deploy.Requirements;
import io.cleave.cli.deploy.UploadProgress;
import io.cleave.client.ApiEndpoint;
import io.cleave.client.CliFailure;
import io.cleave.client.JsonText;
import io.cleave.client.PlatformClient;
import io.cleave.client.Terminal;
import io.cleave.client.UserCommand;
import io.cleave.common.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cleave deploy}: check func.yaml and its runtime, install requirements.txt's packages
 * (Python) or build with Maven into lib/ with an AppCDS archive (Java),
 * bump the version, pack the directory as a code bundle, upload it and create or update the app,
 * the function and its triggers. A failure before the new code is on
 * the server leaves func.yaml and the server as they were.
 */
@Command(
    name = "deploy",
    description = "Deploy the function in DIR (default: the current directory) to an app.")
public final class DeployCommand extends UserCommand {
  @Mixin ApiEndpoint endpoint;

  @Option(names = "--app", paramLabel = "APP", required = true, description = "App to deploy to")
  String appName;

  @Option(names = "--create-app", description = "Create the app if it does not exist")
  boolean createApp;

  @Option(names = "--no-bump", description = "Keep the version in func.yaml as it is")
  boolean noBump;

  @Parameters(paramLabel = "DIR", arity = "0..1", defaultValue = ".", description = "Function directory (default: .)")
  Path dir;

  @Override
  protected int execute() throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new CliFailure(dir + " is not a directory");
    }
    // Everything that can be checked here is, before the first request.
    FuncFile ff = FuncFile.read(dir);
    boolean java = JavaRuntime.isJava(ff.runtime());
    Optional<PythonRuntime> python = Optional.empty();
    Requirements requirements = null;
    if (java) {
      JavaRuntime.check(ff.runtime());
      JavaBuild.cmd(ff);
    } else {
      python = PythonRuntime.probe(PythonRuntime.NODE_PYTHON);
      PythonRuntime.check(ff.runtime(), python);
      requirements = Requirements.read(dir);
    }
    PlatformClient api = endpoint.client();
    Optional<JsonNode> existingApp = api.findApp(appName);
    if (existingApp.isEmpty() && !createApp) {
      throw new CliFailure("app " + appName + " not found (add --create-app to create it)");
    }

    System.out.println("Deploying " + ff.name() + " to app: " + appName);
    Path tmp = Files.createTempDirectory("cleave-deploy-");
    try {
      // Built (or found in the cache) before anything changes here or on the server.
      Optional<Path> packages = java ? Optional.empty()
          : new PythonPackages(PythonPackages.defaultCacheRoot(), System.out).build(dir, requirements, python);
      Optional<Path> javaTree = java
          ? Optional.of(new JavaBuild(NodeLauncher.cleaveHome(), System.out).build(dir, ff, tmp)) : Optional.empty();
      byte[] original = Files.readAllBytes(dir.resolve(FuncFile.FILE_NAME));
      Deployment d = new Deployment(api);
      Path archive = tmp.resolve("bundle.tar.gz");
      try {
        if (!noBump) {
          String version = ff.bumpPatch();
          ff.write(dir);
          System.out.println("Bumped to version " + version);
        }
        BundleArchive.Packed packed;
        if (javaTree.isPresent()) {
          // A Java bundle is func.yaml, lib/ and cds/: sources and target/ stay out.
          ff.write(javaTree.get());
          packed = BundleArchive.pack(javaTree.get(), archive);
        } else {
          packed = BundleArchive.pack(dir, packages.map(p -> Map.of(PythonPackages.DIR_NAME, p)).orElse(Map.of()), archive);
        }
        d.run(ff, existingApp, packed);
        return 0;
      } catch (IOException | RuntimeException e) {
        if (!d.codeOnServer) {
          d.undo();
        }
        throw e;
      } finally {
        if (!d.codeOnServer) {
          Files.write(dir.resolve(FuncFile.FILE_NAME), original);
        }
      }
    } finally {
      JavaBuild.deleteTree(tmp);
    }
  }

  /** One deploy's server side, remembering what it changed so a failure before the upload can undo it. */
  private final class Deployment {
    final PlatformClient api;
    String createdAppId;
    String createdFnId;
    /** The function as it was before this deploy changed its settings, when it already existed. */
    JsonNode previousFn;
    FuncFile funcFile;
    boolean codeOnServer;

    Deployment(PlatformClient api) {
      this.api = api;
    }

    void run(FuncFile ff, Optional<JsonNode> existingApp, BundleArchive.Packed packed)
        throws IOException {
      funcFile = ff;
      JsonNode app = existingApp.isPresent() ? existingApp.get() : createApp();
      System.out.println("Updating function " + ff.name() + " using image " + packed.imageRef() + "...");
      Optional<JsonNode> existingFn = api.findFn(app, ff.name());
      JsonNode fn;
      if (existingFn.isEmpty()) {
        ObjectNode body = fnBody(ff).put("name", ff.name()).put("app_id", JsonText.text(app, "id"));
        createdFnId = JsonText.text(api.createFn(body), "id");
        fn = upload(api, createdFnId, packed);
        codeOnServer = true;
        System.out.println("Successfully created function: " + ff.name() + " with " + JsonText.text(fn, "image"));
      } else {
        // Settings first: the server validates them, so bad values stop the deploy before new code lands.
        String id = JsonText.text(existingFn.get(), "id");
        api.updateFn(id, fnBody(ff));
        previousFn = existingFn.get();
        fn = upload(api, id, packed);
        codeOnServer = true;
        System.out.println("Successfully updated function: " + ff.name() + " with " + JsonText.text(fn, "image"));
      }
      for (FuncFile.TriggerSpec t : ff.triggers()) {
        deployTrigger(api, app, fn, t);
      }
    }

    private JsonNode createApp() throws IOException {
      JsonNode app = api.createApp(JsonText.object().put("name", appName));
      createdAppId = JsonText.text(app, "id");
      System.out.println("Successfully created app: " + JsonText.text(app, "name"));
      return app;
    }

    /** Removes what this deploy created; the original failure is what the user needs to see. */
    void undo() {
      try {
        if (previousFn != null) {
          api.updateFn(JsonText.text(previousFn, "id"), restoreBody(previousFn, funcFile));
        }
        if (createdFnId != null) {
          api.deleteFn(createdFnId);
        }
        if (createdAppId != null) {
          api.deleteApp(createdAppId);
        }
      } catch (CliFailure | IOException e) {
        System.err.println("cleave: could not remove what the failed deploy created: " + e.getMessage());
      }
    }
  }

  /** A patch putting back what {@link #fnBody} changed: old limits, old values of the keys it set ("" removes new ones). */
  private static ObjectNode restoreBody(JsonNode previous, FuncFile ff) {
    ObjectNode body = JsonText.object();
    for (String field : new String[] {"memory", "timeout", "idle_timeout"}) {
      if (previous.has(field)) {
        body.set(field, previous.get(field));
      }
    }
    ObjectNode config = body.putObject("config");
    ff.config().keySet().forEach(k -> config.put(k, previous.path("config").path(k).asText("")));
    ObjectNode annotations = body.putObject("annotations");
    ff.annotations().ifPresent(a -> a.fieldNames().forEachRemaining(k -> {
      JsonNode old = previous.path("annotations").get(k);
      annotations.set(k, old == null ? Json.MAPPER.getNodeFactory().textNode("") : old);
    }));
    return body;
  }

  /** The function fields func.yaml controls; absent ones are left to the server (merge-patch). */
  private static ObjectNode fnBody(FuncFile ff) {
    ObjectNode body = JsonText.object();
    ff.intField("memory").ifPresent(v -> body.put("memory", v));
    ff.intField("timeout").ifPresent(v -> body.put("timeout", v));
    ff.intField("idle_timeout").ifPresent(v -> body.put("idle_timeout", v));
    if (!ff.config().isEmpty()) {
      ObjectNode config = body.putObject("config");
      ff.config().forEach(config::put);
    }
    ff.annotations().ifPresent(a -> body.set("annotations", a));
    return body;
  }

  /** PUT /cleave/v1/fns/{id}/bundle with a progress bar; answers the updated function. */
  private static JsonNode upload(PlatformClient api, String fnId, BundleArchive.Packed packed) throws IOException {
    UploadProgress progress = new UploadProgress("Uploading bundle", packed.size(), System.err, Terminal.stderrIsTerminal());
    JsonNode fn;
    try {
      // The server checks the body against the digest, so a damaged upload is refused.
      fn = api.uploadBundle(fnId, packed.file(), packed.sha256(), progress::advance);
    } catch (CliFailure e) {
      progress.abandon();
      throw new CliFailure("bundle upload failed: " + e.getMessage());
    }
    progress.finish();
    String image = JsonText.text(fn, "image");
    if (!image.equals(packed.imageRef())) {
      throw new CliFailure("the server stored the bundle as '" + image + "' but its sha256 here is " + packed.imageRef());
    }
    return fn;
  }

  private static void deployTrigger(PlatformClient api, JsonNode app, JsonNode fn, FuncFile.TriggerSpec t)
      throws IOException {
    Optional<JsonNode> existing = api.findTrigger(app, fn, t.name());
    ObjectNode body = JsonText.object().put("type", t.type()).put("source", t.source());
    JsonNode result;
    if (existing.isEmpty()) {
      body.put("name", t.name()).put("app_id", JsonText.text(app, "id")).put("fn_id", JsonText.text(fn, "id"));
      result = api.createTrigger(body);
      System.out.println("Successfully created trigger: " + JsonText.text(result, "name"));
    } else {
      result = api.updateTrigger(JsonText.text(existing.get(), "id"), body);
      System.out.println("Successfully updated trigger: " + JsonText.text(result, "name"));
    }
    System.out.println("Trigger Endpoint: " + result.path("annotations").path(PlatformClient.TRIGGER_ENDPOINT).asText(""));
  }
}
