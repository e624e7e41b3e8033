package io.cleave.common.model;

import java.util.Map;

/**
 * A trigger as sent on create, or the fields to change on update; null means "not given".
 * {@code timestampsGiven} records that the client sent created_at/updated_at, which Fn refuses on create.
 */
public record TriggerPatch(String id, String name, String appId, String fnId, String type, String source,
    Map<String, Object> annotations, boolean createdAtGiven, boolean updatedAtGiven) {}
