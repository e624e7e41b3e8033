package io.cleave.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cleave.common.json.Json;
import io.cleave.registry.cluster.Membership;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /cleave/v1/cluster}: the cluster's name and members, with where each serves its API
 * and, for members that run calls, their node's load (memory, instances, seeds, children started by
 * the seed's node) as last published.
 */
final class ClusterRoutes {
  private final Routing routing;
  private final Membership membership;

  ClusterRoutes(Routing routing, Membership membership) {
    this.routing = routing;
    this.membership = membership;
  }

  void mount(Router r) {
    routing.on(r, HttpMethod.GET, "/cleave/v1/cluster", new Rule.Admin(), this::cluster);
  }

  private void cluster(RoutingContext ctx) {
    routing.blocking(ctx, membership::members, members -> {
      ObjectNode body = Json.MAPPER.createObjectNode().put("name", membership.clusterName());
      ArrayNode items = body.putArray("members");
      for (Membership.MemberView m : members) {
        ObjectNode o = items.addObject().put("id", m.id().toString()).put("address", m.address());
        if (m.apiUrl() != null) {
          o.put("api_url", m.apiUrl());
        }
        o.put("local", m.local());
        if (m.load() != null) {
          o.put("node", m.load().node()).put("capacity_mb", m.load().capacityMb())
              .put("reserved_mb", m.load().reservedMb()).put("free_mb", m.load().freeMb())
              .put("starting", m.load().starting()).put("idle", m.load().idle()).put("busy", m.load().busy())
              .put("seeds", m.load().seeds());
          if (m.load().forksFrom() != null) {
            o.set("forks_from", Json.MAPPER.valueToTree(m.load().forksFrom()));
          }
        }
      }
      Replies.json(ctx, 200, body);
    });
  }
}
