package io.cleave.registry;

import io.cleave.common.model.TriggerPatch;

import io.cleave.common.model.Trigger;
import java.util.Optional;

/**
 * Triggers as the API reads and writes them. Reads are local and non-blocking (safe on an event
 * loop); writes block and fail with {@link io.cleave.common.error.ApiError} carrying Fn's status and text.
 */
public interface TriggerRegistry {
  Optional<Trigger> trigger(String id);

  /** Triggers of an app, optionally of one function ({@code fnId} null: all) and of one name. */
  Page<Trigger> listTriggers(String appId, String fnId, String name, String cursor, int perPage);

  /** What {@code /t/<appName><source>} runs. */
  Optional<TriggerRoute> route(String appName, String source);

  Trigger createTrigger(TriggerPatch p);

  Trigger updateTrigger(String id, TriggerPatch p);

  void deleteTrigger(String id);
}
