package io.cleave.invoker;

import java.util.HashMap;
import java.util.Map;

/**
 * The environment a kept instance starts with: its function's, plus glibc's tunable that has
 * malloc ask for transparent huge pages ({@code madvise}) for its blocks of 2 MB and up. The state
 * a producer keeps for its fork consumers is mostly such blocks (a 64 MB string, a large array):
 * in huge pages, 64 MB is 32 page-table entries instead of 16,384, so each fork of the instance,
 * on the consumer's path, copies and write-protects 32 entries instead of 16,384 (measured here:
 * 0.1-0.2 ms instead of 0.5-0.9 ms, and 0.2 ms instead of 2.4-5.5 ms for the first fork after the
 * state was built), and the child's exit and the instance's delete unmap as few. Blocks under 2 MB
 * (Python's own 256 KB arenas, small objects) are left as they are; where the kernel's
 * transparent huge pages are off ({@code never}) the tunable does nothing. A GLIBC_TUNABLES the
 * function sets itself is kept, with the tunable added unless it names it.
 */
final class KeptInstanceEnv {
  static final String TUNABLES = "GLIBC_TUNABLES";
  static final String HUGE_PAGES = "glibc.malloc.hugetlb=1";

  private KeptInstanceEnv() {}

  static Map<String, String> of(Map<String, String> functionEnv) {
    String own = functionEnv.get(TUNABLES);
    if (own != null && own.contains("glibc.malloc.hugetlb")) {
      return functionEnv;
    }
    Map<String, String> env = new HashMap<>(functionEnv);
    env.put(TUNABLES, own == null || own.isBlank() ? HUGE_PAGES : own + ":" + HUGE_PAGES);
    return env;
  }
}
