package io.cleave.common.invoke;

import io.vertx.core.Future;

/** What a node's invoker tells about one function's calls and instances there (the console's live view). */
public interface FnActivities {

  /** The function's activity on this node now; a function this node never ran has no calls and no instances. */
  Future<FnActivity> activity(String fnId);
}
