package io.cleave.cli.deploy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.cli.api.FnLimits;
import io.cleave.client.CliFailure;
import io.cleave.common.json.FuncYaml;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A function's {@code func.yaml} (Fn schema 20180708). The document is kept as a tree so that a
 * rewrite (the version bump) keeps every field, including ones Cleave does not use, in order.
 */
public final class FuncFile {
  public static final String FILE_NAME = "func.yaml";
  public static final int SCHEMA_VERSION = 20180708;
  public static final String INITIAL_VERSION = "0.0.1";

  /** Fn's rule (lowercase, no colon) within what the server takes unescaped in a URL path. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9_.~$&+=@-]{1,255}");
  private static final Pattern SEMVER = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)");

  /** One entry of {@code triggers:}. */
  public record TriggerSpec(String name, String type, String source) {}

  private final ObjectNode tree;

  private FuncFile(ObjectNode tree) {
    this.tree = tree;
  }

  /** Why a function name is unacceptable, or empty when it is fine. */
  public static Optional<String> nameProblem(String name) {
    if (name.isEmpty()) {
      return Optional.of("function name is empty");
    }
    if (!name.toLowerCase(java.util.Locale.ROOT).equals(name)) {
      return Optional.of("function name '" + name + "' must be lowercase");
    }
    if (!NAME.matcher(name).matches() || name.equals(".") || name.equals("..")) {
      return Optional.of("function name '" + name
          + "' may only contain a-z, 0-9 and - _ . ~ $ & + = @, and be at most 255 characters");
    }
    return Optional.empty();
  }

  /** A new func.yaml as {@code fn init --runtime python} writes it ({@code runtime}: python or python3.X). */
  public static FuncFile forPython(String name, String runtime, int memory, Integer timeout, Integer idleTimeout,
      String triggerType) {
    ObjectNode t = FuncYaml.MAPPER.createObjectNode();
    t.put("schema_version", SCHEMA_VERSION);
    t.put("name", name);
    t.put("version", INITIAL_VERSION);
    t.put("runtime", runtime);
    t.put("entrypoint", "/python/bin/fdk /function/func.py handler");
    t.put("memory", memory);
    if (timeout != null) {
      t.put("timeout", timeout);
    }
    if (idleTimeout != null) {
      t.put("idle_timeout", idleTimeout);
    }
    if (triggerType != null) {
      ObjectNode trig = t.putArray("triggers").addObject();
      trig.put("name", name);
      trig.put("type", triggerType);
      trig.put("source", "/" + name);
    }
    return new FuncFile(t);
  }

  /** A new func.yaml as {@code fn init --runtime java} writes it: runtime java and the function's cmd. */
  public static FuncFile forJava(String name, String cmd, int memory, Integer timeout, Integer idleTimeout,
      String triggerType) {
    FuncFile ff = forPython(name, "java", memory, timeout, idleTimeout, triggerType);
    ff.tree.remove("entrypoint");
    ff.insertAfter("runtime", "cmd", cmd);
    return ff;
  }

  /** Reads and validates {@code dir/func.yaml}; every problem is a {@link CliFailure}. */
  public static FuncFile read(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new CliFailure("no " + FILE_NAME + " in " + dir.toAbsolutePath().normalize()
          + " (create one with `cleave init --runtime python NAME`)");
    }
    JsonNode parsed;
    try {
      parsed = FuncYaml.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new CliFailure(file + " is not valid YAML: " + e.getOriginalMessage());
    }
    if (parsed == null || !parsed.isObject()) {
      throw new CliFailure(file + " must be a YAML mapping");
    }
    FuncFile ff = new FuncFile((ObjectNode) parsed);
    ff.validate(file);
    return ff;
  }

  public void write(Path dir) throws IOException {
    Files.writeString(dir.resolve(FILE_NAME), text(), StandardCharsets.UTF_8);
  }

  public String text() {
    try {
      return FuncYaml.MAPPER.writeValueAsString(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a YAML tree always serialises", e);
    }
  }

  private void validate(Path file) {
    JsonNode schema = tree.get("schema_version");
    if (schema != null && schema.asInt() != SCHEMA_VERSION) {
      throw new CliFailure(file + ": schema_version " + schema.asText() + " is not supported (expected "
          + SCHEMA_VERSION + "; `fn migrate` upgrades older files)");
    }
    String name = str("name");
    if (name.isEmpty()) {
      throw new CliFailure(file + ": name is missing");
    }
    nameProblem(name).ifPresent(p -> {
      throw new CliFailure(file + ": " + p);
    });
    for (FnLimits limit : FnLimits.values()) {
      inRange(file, limit);
    }
    stringMap(file, "config");
    JsonNode annotations = tree.get("annotations");
    if (annotations != null && !annotations.isNull() && !annotations.isObject()) {
      throw new CliFailure(file + ": annotations must be a mapping");
    }
    triggers(file);
  }

  /** The server's range for the field, so that a value it would refuse never reaches it. */
  private void inRange(Path file, FnLimits limit) {
    String field = limit.field();
    JsonNode v = tree.get(field);
    if (v == null || v.isNull()) {
      return;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new CliFailure(file + ": " + field + " must be a whole number, got '" + v.asText() + "'");
    }
    limit.problem(field, v.asLong()).ifPresent(p -> {
      throw new CliFailure(file + ": " + p);
    });
  }

  private Map<String, String> stringMap(Path file, String field) {
    Map<String, String> out = new LinkedHashMap<>();
    JsonNode v = tree.get(field);
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isObject()) {
      throw new CliFailure(file + ": " + field + " must be a mapping of names to values");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isContainerNode()) {
        throw new CliFailure(file + ": " + field + "." + e.getKey() + " must be a plain value");
      }
      out.put(e.getKey(), e.getValue().isNull() ? "" : e.getValue().asText());
    }
    return out;
  }

  private List<TriggerSpec> triggers(Path file) {
    List<TriggerSpec> out = new ArrayList<>();
    JsonNode v = tree.get("triggers");
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isArray()) {
      throw new CliFailure(file + ": triggers must be a list");
    }
    for (JsonNode t : v) {
      String name = t.path("name").asText("");
      String type = t.path("type").asText("");
      String source = t.path("source").asText("");
      if (name.isEmpty() || type.isEmpty() || source.isEmpty()) {
        throw new CliFailure(file + ": every trigger needs a name, a type and a source");
      }
      if (!type.equals("http")) {
        throw new CliFailure(file + ": trigger " + name + " has type '" + type + "'; only 'http' is supported");
      }
      out.add(new TriggerSpec(name, type, source.startsWith("/") ? source : "/" + source));
    }
    return out;
  }

  private String str(String field) {
    JsonNode v = tree.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }

  public String name() {
    return str("name");
  }

  /** The {@code runtime} field; empty when absent. */
  public String runtime() {
    return str("runtime");
  }

  /** The {@code cmd} field (a Java function's Class::method); empty when absent. */
  public String cmd() {
    return str("cmd");
  }

  public String version() {
    return str("version");
  }

  public Optional<Integer> intField(String field) {
    JsonNode v = tree.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asInt());
  }

  public Map<String, String> config() {
    return stringMap(Path.of(FILE_NAME), "config");
  }

  public Optional<ObjectNode> annotations() {
    JsonNode v = tree.get("annotations");
    return v instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
  }

  public List<TriggerSpec> triggers() {
    return triggers(Path.of(FILE_NAME));
  }

  /** Sets {@code version} to the next patch version (0.0.1 when there is none yet) and returns it. */
  public String bumpPatch() {
    String current = version();
    String next;
    if (current.isEmpty()) {
      next = INITIAL_VERSION;
    } else {
      Matcher m = SEMVER.matcher(current);
      if (!m.matches()) {
        throw new CliFailure(FILE_NAME + ": version '" + current
            + "' is not MAJOR.MINOR.PATCH; fix it or deploy with --no-bump");
      }
      next = m.group(1) + "." + m.group(2) + "." + (Long.parseLong(m.group(3)) + 1);
    }
    if (tree.has("version")) {
      tree.put("version", next);
    } else {
      insertAfter("name", "version", next);
    }
    return next;
  }

  private void insertAfter(String anchor, String field, String value) {
    ObjectNode copy = tree.deepCopy();
    tree.removeAll();
    copy.fields().forEachRemaining(e -> {
      tree.set(e.getKey(), e.getValue());
      if (e.getKey().equals(anchor)) {
        tree.put(field, value);
      }
    });
    if (!tree.has(field)) {
      tree.put(field, value);
    }
  }
}
