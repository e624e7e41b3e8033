package io.cleave.forkd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The calls forkd (revoke, stats) and its tests make into libcleave (kmod/include/cleave_fork.h),
 * through the page server's unix socket. Public only because jnr-ffi implements it from another
 * class loader.
 */
public interface LibCleave {
  int ABI_VERSION = 1;
  int PATH_MAX = 256;
  /** struct cleave_handle_args: version, reserved0, path[256], handle, key[16]. */
  int HANDLE_ARGS_BYTES = 4 + 4 + PATH_MAX + 8 + 16;

  /** struct cleave_stats: version, reserved0, handle, holder_pid, desc_bytes, rss_bytes, fetch_pages, ... */
  int STATS_BYTES = 4 + 4 + 8 + 4 + 4 + 8 * 6 + 8 * 4;
  int STATS_CONNECTIONS = 40;
  int STATS_PAGES_SERVED = 56;
  int STATS_BYTES_SENT = 64;

  int cleave_revoke(@In ByteBuffer args);

  int cleave_stats(@In ByteBuffer args, @Out ByteBuffer out);

  String cleave_last_error();

  static LibCleave load(Path library) {
    return LibraryLoader.create(LibCleave.class).load(library.toString());
  }

  /** The argument struct of revoke and stats for one handle. */
  static ByteBuffer handleArgs(Path socket, long handle, String keyHex) {
    byte[] path = socket.toString().getBytes(StandardCharsets.UTF_8);
    if (path.length >= PATH_MAX) {
      throw new IllegalArgumentException("page server socket path too long: " + socket);
    }
    byte[] key = HexFormat.of().parseHex(keyHex);
    if (key.length != 16) {
      throw new IllegalArgumentException("a handle key has 16 bytes, got " + key.length);
    }
    ByteBuffer b = ByteBuffer.allocateDirect(HANDLE_ARGS_BYTES).order(ByteOrder.nativeOrder());
    b.putInt(0, ABI_VERSION);
    b.put(8, path);
    b.putLong(8 + PATH_MAX, handle);
    b.put(8 + PATH_MAX + 8, key);
    return b;
  }
}
