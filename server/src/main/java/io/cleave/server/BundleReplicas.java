package io.cleave.server;

import io.cleave.common.bundle.BundleDigest;
import io.cleave.registry.bundle.BundleStore;
import io.cleave.registry.cluster.Membership;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps every bundle a function uses on at least {@link #COPIES} members when the cluster has
 * that many, so losing the member a bundle was uploaded to loses no code: each member checks
 * every few seconds which used bundles have too few live holders and fetches those it is the
 * chosen replica for. The choice is rendezvous hashing of (bundle, member URL) over the members
 * that lack it, so the members agree on who copies without talking, and a member that leaves is
 * replaced by the next in that order. Until a copy lands the bundle has one holder: the upload is
 * acknowledged before, and the README says so.
 */
final class BundleReplicas implements AutoCloseable {
  static final int COPIES = 2;
  private static final long CHECK_EVERY_MS = 2000;
  private static final Logger LOG = Logger.getLogger(BundleReplicas.class.getName());

  private final BundleStore bundles;
  private final Membership membership;
  private final Supplier<Set<BundleDigest>> inUse;
  private final Vertx vertx;
  private final AtomicBoolean checking = new AtomicBoolean();
  private final long timer;

  BundleReplicas(Vertx vertx, BundleStore bundles, Membership membership, Supplier<Set<BundleDigest>> inUse) {
    this.vertx = vertx;
    this.bundles = bundles;
    this.membership = membership;
    this.inUse = inUse;
    this.timer = vertx.setPeriodic(CHECK_EVERY_MS, t -> {
      if (checking.compareAndSet(false, true)) {
        vertx.executeBlocking(this::missing, false)
            .onFailure(e -> LOG.log(Level.WARNING, "bundle replication check failed: " + e.getMessage()))
            .onSuccess(this::fetch)
            .onComplete(ar -> checking.set(false));
      }
    });
  }

  /** The used bundles this member should copy now. Blocking (asks the cluster). */
  private List<BundleDigest> missing() {
    String self = bundles.selfUrl();
    Set<String> live = new HashSet<>();
    membership.members().stream().map(Membership.MemberView::apiUrl).filter(Objects::nonNull).forEach(live::add);
    List<BundleDigest> mine = new ArrayList<>();
    if (self == null || live.size() < COPIES) {
      return mine;
    }
    for (BundleDigest d : inUse.get()) {
      if (bundles.has(d)) {
        continue;
      }
      List<String> holders = bundles.holders(d).stream().filter(live::contains).toList();
      if (holders.isEmpty() || holders.size() >= COPIES) {
        continue; // nobody to copy from, or copied enough
      }
      List<String> lacking = live.stream().filter(u -> !holders.contains(u))
          .sorted(Comparator.comparing((String u) -> rank(d, u))).toList();
      if (lacking.subList(0, Math.min(lacking.size(), COPIES - holders.size())).contains(self)) {
        mine.add(d);
      }
    }
    return mine;
  }

  private void fetch(List<BundleDigest> digests) {
    for (BundleDigest d : digests) {
      bundles.archive(d).onFailure(e -> LOG.log(Level.WARNING, "copying bundle " + d + " here failed: "
          + e.getMessage() + " (tried again in " + CHECK_EVERY_MS / 1000 + " s)"));
    }
  }

  /** A member's rank for one bundle: the same on every member. */
  private static String rank(BundleDigest digest, String memberUrl) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest((digest.hex() + " " + memberUrl).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}
