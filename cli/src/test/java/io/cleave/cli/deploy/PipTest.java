package io.cleave.cli.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cleave.client.CliFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two ways deploy runs pip, each really run against this machine's configured index. */
class PipTest {
  @TempDir Path tmp;

  private static PythonRuntime nodePython() throws Exception {
    return PythonRuntime.probe(PythonRuntime.NODE_PYTHON).orElseThrow();
  }

  @Test
  void theNodePythonsOwnPipIsPreferred() throws Exception {
    PythonRuntime py = nodePython();
    Pip pip = Pip.find(py).orElseThrow();
    assumeTrue(pip.ownInterpreter(), "this machine has no /usr/bin/python3 -m pip");
    assertEquals(List.of("/usr/bin/python3", "-m", "pip"), pip.command());
  }

  /** Where /usr/bin/python3 has no pip (a fresh Debian 12): another pip, told which Python to fetch wheels for. */
  @Test
  void aForeignPipInstallsWheelsForTheNodesPythonVersion() throws Exception {
    PythonRuntime py = nodePython();
    Path pip3 = List.of("/usr/local/bin/pip3", "/usr/bin/pip3", System.getProperty("user.home") + "/.pyenv/shims/pip3")
        .stream().map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
    assumeTrue(pip3 != null, "no pip3 here");
    Pip foreign = new Pip(List.of(pip3.toString()), false);
    Path req = Files.writeString(tmp.resolve("requirements.txt"), "tabulate\n");
    Path target = tmp.resolve("target");
    List<String> cmd = foreign.installCommand(req, target, py);
    assertTrue(cmd.containsAll(List.of("--python-version", py.version(), "--only-binary=:all:")), cmd.toString());
    ChildProcess.Result r = ChildProcess.run(cmd, tmp, Pip.ENV, 600);
    assertEquals(0, r.exit(), r.output());
    assertTrue(Files.isRegularFile(target.resolve("tabulate/__init__.py")), r.output());
  }

  @Test
  void pipsFailureNamesThePackageAndKeepsPipsReason() {
    ChildProcess.Result r = new ChildProcess.Result(1, """
        Looking in links: /opt/wheels
        ERROR: Could not find a version that satisfies the requirement nosuchpkg>=2 (from versions: none)
        ERROR: No matching distribution found for nosuchpkg>=2
        """);
    String own = PythonPackages.failure(r, new Pip(List.of("/usr/bin/python3", "-m", "pip"), true));
    assertEquals("requirements.txt: cannot install nosuchpkg: Could not find a version that satisfies the requirement"
        + " nosuchpkg>=2 (from versions: none); No matching distribution found for nosuchpkg>=2", own);
    String foreign = PythonPackages.failure(r, new Pip(List.of("pip3"), false));
    assertTrue(foreign.endsWith("apt-get install python3-pip lifts that)"), foreign);
    String other = PythonPackages.failure(new ChildProcess.Result(2, "something\nwent\nwrong\n"), new Pip(List.of("pip3"), true));
    assertEquals("requirements.txt: pip failed (exit 2): something / went / wrong", other);
  }

  @Test
  void theNodeRunsItsOwnVersionAndNothingElse() throws Exception {
    PythonRuntime py = nodePython();
    PythonRuntime.check("python", Optional.of(py));
    PythonRuntime.check("python" + py.version(), Optional.of(py));
    PythonRuntime.check(null, Optional.of(py));
    CliFailure e = assertThrows(CliFailure.class, () -> PythonRuntime.check("python2.7", Optional.of(py)));
    assertEquals("runtime python2.7 is not available; this node runs: python, python" + py.version(), e.getMessage());
  }
}
