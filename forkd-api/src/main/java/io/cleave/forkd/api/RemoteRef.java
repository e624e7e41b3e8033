package io.cleave.forkd.api;

/**
 * Where a prepared seed's snapshot can be resumed from, on any node: its node's page server
 * ({@code host:port}), the handle the page server gave the snapshot and the handle's secret key
 * (32 hex digits). A seed started with {@code prepare} answers it; a {@code remote-fork} start
 * takes it.
 */
public record RemoteRef(String pageserver, long handle, String key) {}
