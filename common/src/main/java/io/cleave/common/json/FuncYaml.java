package io.cleave.common.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/**
 * The YAML of {@code func.yaml}, read by the CLI's deploy and by the invoker, written by the CLI.
 * Written the way {@code fn} writes it: no {@code ---} line, long strings on one line, quotes
 * only where YAML needs them.
 */
public final class FuncYaml {
  public static final ObjectMapper MAPPER = new ObjectMapper(
      YAMLFactory.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .disable(YAMLGenerator.Feature.SPLIT_LINES)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build());

  private FuncYaml() {}
}
