package io.cleave.registry.bundle;

import io.cleave.common.bundle.ArchiveRejectedException;
import io.cleave.common.bundle.BundleDigest;
import io.cleave.common.bundle.BundleSource;
import io.cleave.common.bundle.TarGzUnpacker;
import io.cleave.common.bundle.UnpackLimits;
import io.cleave.common.error.ApiError;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.multimap.MultiMap;
import io.cleave.common.bundle.BundleCopies;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Code bundles on this node's disk, content addressed: {@code <data>/bundles/sha256/<hex>.tar.gz}.
 * Uploads land in {@code <data>/bundles/incoming/} and are renamed into place once verified, so a
 * bundle file is complete whenever it exists; the same content is stored once.
 *
 * <p>Once {@link #share shared}, the store announces the bundles it holds in a cluster-wide map
 * (digest → base URLs of the members holding it), and {@link #archive} fetches a bundle this
 * member lacks from one of them ({@code GET /cleave/v1/bundles/sha256:<hex>}), checking its digest,
 * and each bundle's size (digest → bytes) for the apps' bundle quotas.
 *
 * <p>A bundle file's modification time is when it was last filed here (an upload of content already
 * stored touches it), so {@link #removeUnlessUsedSince} never takes a bundle an upload just filed.
 */
public final class BundleStore implements BundleFiles, BundleSource, BundleCopies, BundleSizes {
  static final String HOLDERS = "bundle-holders";
  static final String SIZES = "bundle-sizes";
  private static final String SUFFIX = ".tar.gz";
  /** The header a member presents the registry's member token in when it fetches a bundle from another. */
  public static final String MEMBER_TOKEN_HEADER = "Cleave-Member-Token";

  private final Path byDigest;
  private final Path incoming;
  private final TarGzUnpacker unpacker;
  private final Map<BundleDigest, Future<Path>> fetching = new ConcurrentHashMap<>();
  /** Held while a bundle file is filed, touched or removed, so filing and collecting never interleave. */
  private final Object filing = new Object();
  private volatile Peers peers;

  /** How this member reaches the others' bundles. */
  private record Peers(Vertx vertx, HttpClient client, MultiMap<String, String> holders, IMap<String, Long> sizes,
      String selfUrl, long maxBytes, String memberToken) {}

  public BundleStore(Path dataDir, UnpackLimits limits) {
    Path root = dataDir.resolve("bundles");
    this.byDigest = root.resolve("sha256");
    this.incoming = root.resolve("incoming");
    this.unpacker = new TarGzUnpacker(limits);
    try {
      Files.createDirectories(byDigest);
      Files.createDirectories(incoming);
      // Partial uploads of a previous run are worthless.
      try (Stream<Path> leftovers = Files.list(incoming)) {
        for (Path p : leftovers.toList()) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot prepare the bundle directory " + root + ": " + e.getMessage(), e);
    }
  }

  /** A fresh path in the incoming directory. */
  @Override
  public Path newUpload() {
    return incoming.resolve(UUID.randomUUID() + ".part");
  }

  @Override
  public Path path(BundleDigest digest) {
    return byDigest.resolve(digest.hex() + SUFFIX);
  }

  @Override
  public boolean has(BundleDigest digest) {
    return Files.isRegularFile(path(digest));
  }

  /**
   * Whether this cluster holds the bundle: this member's disk, or (once {@link #share shared}) a
   * member that announced it. Blocking (asks the cluster): call from a worker thread.
   */
  @Override
  public boolean held(BundleDigest digest) {
    if (has(digest)) {
      return true;
    }
    Peers p = peers;
    return p != null && !p.holders().get(digest.hex()).isEmpty();
  }

  /**
   * Checks an uploaded archive with the safe-unpack rules and files it under its digest. The
   * upload is removed in every case. Blocking: call from a worker thread.
   *
   * @throws ArchiveRejectedException when the archive is malformed or hostile (nothing is kept)
   */
  @Override
  public TarGzUnpacker.Summary adopt(Path upload, BundleDigest digest) throws IOException {
    try {
      TarGzUnpacker.Summary summary = unpacker.verify(upload);
      if (summary.files() == 0) {
        throw new ArchiveRejectedException("archive contains no files");
      }
      Path target = path(digest);
      synchronized (filing) {
        if (Files.exists(target)) {
          Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
        } else {
          try {
            Files.move(upload, target, StandardCopyOption.ATOMIC_MOVE);
          } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
            if (!Files.exists(target)) {
              throw e;
            }
          }
        }
      }
      Peers p = peers;
      if (p != null) {
        p.holders().put(digest.hex(), p.selfUrl());
        p.sizes().set(digest.hex(), Files.size(target));
      }
      return summary;
    } finally {
      Files.deleteIfExists(upload);
    }
  }

  /**
   * Joins the cluster's bundle sharing: announces every local bundle under {@code selfUrl} (this
   * member's API base URL) and lets {@link #archive} fetch missing ones, at most {@code maxBytes}
   * each, presenting {@code memberToken} (the registry's, which members' APIs accept for bundle
   * downloads). Blocking.
   */
  public void share(Vertx vertx, HazelcastInstance hz, String selfUrl, long maxBytes, String memberToken)
      throws IOException {
    MultiMap<String, String> holders = hz.getMultiMap(HOLDERS);
    IMap<String, Long> sizes = hz.getMap(SIZES);
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5000).setIdleTimeout(60));
    for (BundleDigest d : copies().keySet()) {
      holders.put(d.hex(), selfUrl);
      sizes.set(d.hex(), Files.size(path(d)));
    }
    peers = new Peers(vertx, client, holders, sizes, selfUrl, maxBytes, memberToken);
  }

  /**
   * The base URLs of the members that announced they hold the bundle (members that left may still
   * be listed), empty before {@link #share}. Blocking (asks the cluster).
   */
  public List<String> holders(BundleDigest digest) {
    Peers p = peers;
    return p == null ? List.of() : List.copyOf(p.holders().get(digest.hex()));
  }

  /** This member's API base URL as announced to the others; null before {@link #share}. */
  public String selfUrl() {
    Peers p = peers;
    return p == null ? null : p.selfUrl();
  }

  /**
   * The bundle's size in bytes: of this member's copy, else as the member that stored it announced
   * it; empty when no member announced it. Blocking (may ask the cluster).
   */
  @Override
  public OptionalLong bytes(BundleDigest digest) {
    try {
      return OptionalLong.of(Files.size(path(digest)));
    } catch (IOException e) {
      Peers p = peers;
      Long announced = p == null ? null : p.sizes().get(digest.hex());
      return announced == null ? OptionalLong.empty() : OptionalLong.of(announced);
    }
  }

  @Override
  public Map<BundleDigest, Instant> copies() throws IOException {
    Map<BundleDigest, Instant> found = new HashMap<>();
    try (Stream<Path> local = Files.list(byDigest)) {
      for (Path p : local.toList()) {
        String name = p.getFileName().toString();
        if (name.endsWith(SUFFIX)) {
          BundleDigest.parse("sha256:" + name.substring(0, name.length() - SUFFIX.length()))
              .ifPresent(d -> found.put(d, lastModified(p)));
        }
      }
    }
    return found;
  }

  /** Removes this member's copy and its announcement; the size stays known while another member holds it. */
  @Override
  public boolean removeUnlessUsedSince(BundleDigest digest, Instant cutoff) throws IOException {
    Path file = path(digest);
    synchronized (filing) {
      if (!Files.exists(file) || lastModified(file).isAfter(cutoff)) {
        return false;
      }
      Files.delete(file);
    }
    Peers p = peers;
    if (p != null) {
      p.holders().remove(digest.hex(), p.selfUrl());
      if (p.holders().get(digest.hex()).isEmpty()) {
        p.sizes().delete(digest.hex());
      }
    }
    return true;
  }

  private static Instant lastModified(Path p) {
    try {
      return Files.getLastModifiedTime(p).toInstant();
    } catch (IOException e) {
      return Instant.now(); // just removed or replaced: treat as fresh, the next sweep sees it again
    }
  }

  @Override
  public Future<Path> archive(BundleDigest digest) {
    Path p = path(digest);
    if (Files.isRegularFile(p)) {
      return Future.succeededFuture(p);
    }
    Peers net = peers;
    if (net == null) {
      return Future.failedFuture(new ApiError(404, "bundle " + digest + " not found"));
    }
    // One fetch per digest at a time; later callers share it.
    return fetching.computeIfAbsent(digest, d -> fetch(net, d).andThen(ar -> fetching.remove(d)));
  }

  private Future<Path> fetch(Peers net, BundleDigest digest) {
    return net.vertx().executeBlocking(() -> {
      List<String> urls = new ArrayList<>(net.holders().get(digest.hex()));
      urls.remove(net.selfUrl());
      return urls;
    }, false).compose(urls -> fetchFrom(net, digest, urls, 0, null));
  }

  private Future<Path> fetchFrom(Peers net, BundleDigest digest, List<String> urls, int i, Throwable last) {
    if (i >= urls.size()) {
      String why = last == null ? "no member holds it" : "no member could send it (" + last.getMessage() + ")";
      return Future.failedFuture(new ApiError(404, "bundle " + digest + " not found: " + why));
    }
    return download(net, digest, urls.get(i)).recover(t -> fetchFrom(net, digest, urls, i + 1, t));
  }

  private Future<Path> download(Peers net, BundleDigest digest, String baseUrl) {
    Path upload = newUpload();
    RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET)
        .setAbsoluteURI(baseUrl + "/cleave/v1/bundles/" + digest).setTimeout(120_000)
        .putHeader(MEMBER_TOKEN_HEADER, net.memberToken());
    return net.client().request(req).compose(r -> r.send()).compose(resp -> {
      if (resp.statusCode() != 200) {
        return resp.body().compose(b -> Future.failedFuture(
            new IOException(baseUrl + " answered " + resp.statusCode())));
      }
      resp.pause(); // nothing may arrive before the file is there to take it
      String length = resp.getHeader("Content-Length");
      if (length != null && Long.parseLong(length.trim()) > net.maxBytes()) {
        return Future.failedFuture(new IOException(baseUrl + " sent a bundle over the size limit"));
      }
      return net.vertx().fileSystem().open(upload.toString(), new OpenOptions().setCreateNew(true).setWrite(true))
          .compose(file -> resp.pipeTo(file));
    }).compose(v -> net.vertx().executeBlocking(() -> {
      if (Files.size(upload) > net.maxBytes()) {
        throw new IOException(baseUrl + " sent a bundle over the size limit");
      }
      if (!sha256(upload).equals(digest.hex())) {
        throw new IOException(baseUrl + " sent content that does not match " + digest);
      }
      adopt(upload, digest);
      return path(digest);
    }, false)).andThen(ar -> {
      if (ar.failed()) {
        net.vertx().fileSystem().delete(upload.toString());
      }
    });
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}
