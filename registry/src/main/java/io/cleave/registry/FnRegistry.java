package io.cleave.registry;

import io.cleave.common.model.FnPatch;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.model.Fn;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Functions as the API reads and writes them. Reads are local and non-blocking (safe on an event
 * loop); writes block and fail with {@link io.cleave.common.error.ApiError} carrying Fn's status and text.
 */
public interface FnRegistry {
  Optional<Fn> fn(String id);

  Page<Fn> listFns(String appId, String name, String cursor, int perPage);

  /** The function and app an invoke of {@code fnId} runs. */
  Optional<FnTarget> target(String fnId);

  /** Creates a function; a non-empty image must name a bundle {@code bundleHeld} says the cluster holds. */
  Fn createFn(FnPatch p, Predicate<BundleDigest> bundleHeld);

  /** Merge-patches a function; a new image is checked as on create. */
  Fn updateFn(String id, FnPatch p, Predicate<BundleDigest> bundleHeld);

  /** Deletes the function with its triggers. */
  void deleteFn(String id);
}
