package io.cleave.common.access;

/** A key just created: its record and its text, which exists only here and is shown once. */
public record IssuedKey(ApiKey key, String text) {
  @Override
  public String toString() {
    return "IssuedKey[" + key.id() + "]"; // never the text
  }
}
