package io.cleave.gateway;

import io.cleave.common.access.Role;

/**
 * Who sent a request, as its API key says: the key's id ({@code configured} for the server's
 * {@code --admin-key}), role and app (null unless the role is app-scoped).
 */
record Caller(String keyId, Role role, String appId) {
  static final String CONFIGURED = "configured";

  boolean admin() {
    return role == Role.ADMIN;
  }

  /** Whether this key may act on {@code app} with at least {@code least}'s rights (deploy covers invoke). */
  boolean reaches(String app, Role least) {
    if (admin()) {
      return true;
    }
    boolean strongEnough = role == least || (role == Role.DEPLOY && least == Role.INVOKE);
    return strongEnough && app != null && app.equals(appId);
  }

  /** How the key is named in refusals: never its text. */
  String describe() {
    return role.wireName() + " key " + keyId;
  }
}
