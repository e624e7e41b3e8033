package io.cleave.registry;

import io.cleave.common.model.AppPatch;

import io.cleave.common.model.App;
import java.util.Optional;

/**
 * Apps as the API reads and writes them. Reads are local and non-blocking (safe on an event loop);
 * writes block (cluster locks, synced disk writes) and fail with {@link io.cleave.common.error.ApiError}
 * carrying Fn's status and text.
 */
public interface AppRegistry {
  Optional<App> app(String id);

  Optional<App> appByName(String name);

  Page<App> listApps(String name, String cursor, int perPage);

  App createApp(AppPatch p);

  App updateApp(String id, AppPatch p);

  /** Deletes the app with its functions and triggers. */
  void deleteApp(String id);
}
