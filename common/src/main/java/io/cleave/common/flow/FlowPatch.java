package io.cleave.common.flow;

import java.util.List;

/**
 * A flow as sent on create, or on update (which replaces its steps; the name and app stay). Null
 * means "not given".
 */
public record FlowPatch(String id, String appId, String name, List<FlowStep> steps) {}
