package io.cleave.scheduler;

/** What a node needs to restore a child of a prepared seed: its node's page server, the handle and its key. */
public record RemoteSeed(String pageServer, long handle, String key) {}
