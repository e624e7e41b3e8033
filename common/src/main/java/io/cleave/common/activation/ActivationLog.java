package io.cleave.common.activation;

import io.vertx.core.Future;
import java.util.List;
import java.util.Optional;

/** Read side of the activation records, served by the gateway under /cleave/v1/activations. */
public interface ActivationLog {

  Future<List<Activation>> list(ActivationQuery query);

  Future<Optional<Activation>> get(String id);

  /** The call's captured stdout and stderr, bounded, with a truncation marker where cut. */
  Future<Optional<String>> logs(String id);
}
