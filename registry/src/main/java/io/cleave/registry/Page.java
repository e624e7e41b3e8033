package io.cleave.registry;

import java.util.List;

/** One page of a name-ordered listing; {@code nextCursor} is null on the last page. */
public record Page<T>(List<T> items, String nextCursor) {}
