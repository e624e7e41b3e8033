package io.cleave.common.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BundleDigestTest {
  private static final String HEX = "0123456789abcdef".repeat(4);

  /**
   * The {@code fn} CLI's check before it sends an image on create/update (its
   * ValidateTagImageName): the last {@code /}-separated element, split on {@code :} as Go's
   * strings.Split does (empty parts count), must give exactly two parts ("image name must have a tag").
   */
  private static boolean fnCliAcceptsTag(String image) {
    String[] path = image.split("/", -1);
    return path[path.length - 1].split(":", -1).length == 2;
  }

  /** The CLI's stricter check before a push (ValidateFullImageName): an owner or registry, then the tag rule. */
  private static boolean fnCliAcceptsFull(String image) {
    return image.split("/", -1).length >= 2 && fnCliAcceptsTag(image);
  }

  @Test
  void theRuleAsReimplementedBehavesLikeTheCli() {
    assertTrue(fnCliAcceptsTag("fndemo/hello:0.0.1"));
    assertTrue(fnCliAcceptsTag("registry:5000/me/hello:1"));
    assertFalse(fnCliAcceptsTag("fndemo/hello"));
    assertFalse(fnCliAcceptsTag("hello:1:2"));
    assertFalse(fnCliAcceptsTag("hello:1:"));
    assertFalse(fnCliAcceptsTag(""));
    assertFalse(fnCliAcceptsFull("hello:1"));
  }

  @Test
  void cleavesImageReferencePassesTheFnCliChecks() {
    String image = new BundleDigest(HEX).image();
    assertEquals("cleave/bundle:sha256-" + HEX, image);
    assertTrue(fnCliAcceptsTag(image), image);
    assertTrue(fnCliAcceptsFull(image), image);
    // The first form did not: its last element has two ':'.
    assertFalse(fnCliAcceptsTag("bundle:sha256:" + HEX));
  }

  @Test
  void bothFormsParseAndNothingElseDoes() {
    BundleDigest d = new BundleDigest(HEX);
    assertEquals(Optional.of(d), BundleDigest.fromImage(d.image()));
    assertEquals(Optional.of(d), BundleDigest.fromImage("bundle:sha256:" + HEX));
    assertEquals(Optional.of(d), BundleDigest.fromImage("cleave/bundle:sha256-" + HEX.toUpperCase()));
    for (String bad : List.of("", "fndemo/hello:0.0.1", "cleave/bundle:sha256-12", "cleave/bundle:sha256:" + HEX,
        "cleave/bundle:sha256-" + HEX + "0", "cleave/bundle:" + HEX, "other/bundle:sha256-" + HEX)) {
      assertEquals(Optional.empty(), BundleDigest.fromImage(bad), bad);
    }
    assertTrue(BundleDigest.looksLikeBundleImage("cleave/bundle:sha256-12"));
    assertFalse(BundleDigest.looksLikeBundleImage("fndemo/hello:0.0.1"));
  }
}
