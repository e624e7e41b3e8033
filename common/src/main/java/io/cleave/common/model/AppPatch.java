package io.cleave.common.model;

import java.util.Map;

/**
 * An app as a client sent it (create) or the fields to change (update). Null means "not given".
 * In {@code config} an empty value deletes the key on update (on create it is stored, as Fn does);
 * in {@code annotations} an empty string or null value does. {@code shape} counts on create only.
 */
public record AppPatch(String id, String name, Map<String, String> config, Map<String, Object> annotations,
    String syslogUrl, String shape) {}
