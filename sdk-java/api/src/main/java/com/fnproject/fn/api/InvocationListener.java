package com.fnproject.fn.api;

import java.util.EventListener;

/** Told how a call ended, after the function answered. */
public interface InvocationListener extends EventListener {
  void onSuccess();

  void onFailure();
}
