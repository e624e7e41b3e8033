package io.cleave.flows;

import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.POJONode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.cleave.common.flow.FlowEdge;
import io.cleave.common.flow.FlowStep;
import io.cleave.common.json.Json;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The input of one call of a step, by copy: a step after nothing gets the run's input; after one
 * step, that step's result; after several, an object of their results by step name. A map's call
 * gets the item-th element in place of the mapped step's whole result. The fork producers a call
 * reads in memory are left out: the one it is forked from, and the others, whose results were
 * copied into that one ({@link StatePassing.Fork#readInMemory}). A result goes in as it
 * was serialised once for the run ({@link #serialised}): a map's calls (or several consumers) of one
 * result do not each serialise it again, they copy its bytes.
 */
final class StepInputs {
  private StepInputs() {}

  /**
   * {@code whole} answers a producer's whole result, serialised once ({@link #serialised}); a map's
   * element is taken from {@code outputs}.
   */
  static JsonNode of(FlowStep step, int item, Map<String, JsonNode> outputs, Function<String, JsonNode> whole,
      JsonNode runInput, Set<String> inMemory) {
    List<FlowEdge> edges = step.edges();
    if (edges.isEmpty()) {
      return runInput;
    }
    if (edges.size() == 1) {
      String producer = edges.get(0).step();
      return inMemory.contains(producer) && !producer.equals(step.map()) ? NullNode.getInstance()
          : value(step, producer, item, outputs, whole);
    }
    ObjectNode input = Json.MAPPER.createObjectNode();
    for (FlowEdge e : edges) {
      if (!inMemory.contains(e.step()) || e.step().equals(step.map())) {
        input.set(e.step(), value(step, e.step(), item, outputs, whole));
      }
    }
    return input;
  }

  private static JsonNode value(FlowStep step, String producer, int item, Map<String, JsonNode> outputs,
      Function<String, JsonNode> whole) {
    return producer.equals(step.map()) ? outputs.get(producer).get(item) : whole.apply(producer);
  }

  /**
   * {@code result} serialised now, as a node whose serialisation copies those bytes: the same
   * bytes {@link Json#toBytes} writes for {@code result} in place.
   */
  static JsonNode serialised(JsonNode result) {
    return new POJONode(new RawValue(new SerializedString(new String(Json.toBytes(result), StandardCharsets.UTF_8))));
  }

  /**
   * A call's input as its body, written once into a buffer sized for it: the bytes of the results
   * it carries ({@link #serialised}) are copied in once, not grown through segments, gathered into
   * an array and copied again (a map over FINRA's 0.35 MB portfolio made that the engine's largest
   * cost per call).
   */
  static Buffer body(JsonNode input) {
    Buffer body = Buffer.buffer(sizeHint(input));
    try {
      Json.MAPPER.writeValue(new BufferOutput(body), input);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return body;
  }

  /** The serialised results' lengths (the input's bulk) and a little for the rest. */
  private static int sizeHint(JsonNode input) {
    long n = 256 + rawLength(input);
    if (input.isObject()) {
      for (JsonNode v : input) {
        n += rawLength(v);
      }
    }
    return (int) Math.min(n, Integer.MAX_VALUE - 8);
  }

  private static int rawLength(JsonNode node) {
    return node instanceof POJONode p && p.getPojo() instanceof RawValue r && r.rawValue() instanceof SerializedString s
        ? s.charLength() : 0;
  }

  /** Appends what is written to a Vert.x buffer. */
  private static final class BufferOutput extends OutputStream {
    private final Buffer to;

    BufferOutput(Buffer to) {
      this.to = to;
    }

    @Override
    public void write(int b) {
      to.appendByte((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      to.appendBytes(b, off, len);
    }
  }
}
