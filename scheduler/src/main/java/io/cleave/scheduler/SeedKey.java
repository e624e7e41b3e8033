package io.cleave.scheduler;

import io.cleave.common.model.FnNetwork;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Names one version of a function cluster-wide: its id and a digest of what its instances are made
 * from (image, memory, merged config, network). Every node computes the same key for the same version, so
 * "one seed per function version" is one entry per key.
 */
public record SeedKey(String fnId, String version) {

  public static SeedKey of(String fnId, String image, int memoryMb, Map<String, String> config, FnNetwork network) {
    // A loopback-only version keeps the key it had before functions chose a network.
    String memoryLine = network == FnNetwork.NONE ? Integer.toString(memoryMb) : memoryMb + "/" + network.wireName();
    StringBuilder text = new StringBuilder().append(image).append('\n').append(memoryLine).append('\n');
    new TreeMap<>(config).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return new SeedKey(fnId, HexFormat.of().formatHex(digest, 0, 12));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** The directory's map key. */
  public String id() {
    return fnId + "@" + version;
  }
}
