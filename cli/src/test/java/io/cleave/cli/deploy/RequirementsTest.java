package io.cleave.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cleave.client.CliFailure;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequirementsTest {
  @Test
  void fdkLinesAreSkippedWhateverTheirForm() {
    Requirements r = Requirements.parse("fdk>=0.1.105\nFDK==0.1.50\nfdk ; python_version >= '3'\nfdk\ntabulate\n");
    assertEquals(List.of("tabulate"), r.lines());
    assertEquals(4, r.skipped().size());
    assertEquals(List.of("tabulate"), r.names());
  }

  @Test
  void fnsOfflineTemplateAndCommentOnlyFilesInstallNothing() {
    assertTrue(Requirements.parse("fdk").installsNothing());
    assertTrue(Requirements.parse("").installsNothing());
    assertTrue(Requirements.parse("# just a comment\n\n   \n# another\n").installsNothing());
    // An index option alone names no package either.
    assertTrue(Requirements.parse("--extra-index-url file:///opt/pypi/simple\n").installsNothing());
  }

  @Test
  void commentsContinuationsAndVersionsAreReadAsPipReadsThem() {
    Requirements r = Requirements.parse("requests>=2 # http\nnumpy\\\n==1.26.4\nPyYAML[libyaml]==6.0\nurl#fragment-stays\n");
    assertEquals(List.of("requests>=2", "numpy==1.26.4", "PyYAML[libyaml]==6.0", "url#fragment-stays"), r.lines());
    assertEquals(List.of("requests", "numpy", "pyyaml", "url"), r.names());
  }

  @Test
  void theCacheKeyFollowsThePackagesAndThePythonNotTheComments() {
    String key = Requirements.parse("tabulate\n").key("3.11");
    assertEquals(key, Requirements.parse("# tables\nfdk>=0.1\ntabulate   # pretty\n").key("3.11"));
    assertNotEquals(key, Requirements.parse("tabulate==0.9.0\n").key("3.11"));
    assertNotEquals(key, Requirements.parse("tabulate\n").key("3.12"));
    assertTrue(key.matches("[0-9a-f]{64}"), key);
  }

  @Test
  void linesThatPullInOtherFilesAreRefusedWithTheirLineNumber() {
    for (String line : List.of("-r other.txt", "--requirement=other.txt", "-c constraints.txt", "-e ./src")) {
      CliFailure e = assertThrows(CliFailure.class, () -> Requirements.parse("tabulate\n" + line + "\n"));
      assertTrue(e.getMessage().startsWith("requirements.txt line 2: '" + line + "' is not supported"), e.getMessage());
    }
  }
}
