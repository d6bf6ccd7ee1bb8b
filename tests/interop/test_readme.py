"""The README's walkthrough is scripts/demo.sh's real output: run the demo
(the README's first command, `make demo`, runs the same script) and compare
its output with the block between the DEMO markers, so a changed figure or a
broken example fails here. The demo ends by loading every output in Keras 3.
"""

import subprocess

from conftest import REPO, BIN


def test_readme_walkthrough_is_current():
    assert BIN.exists(), "run `make build` first"
    p = subprocess.run(["bash", str(REPO / "scripts" / "demo.sh")], cwd=REPO,
                       capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, "demo failed:\n%s\n%s" % (p.stdout[-3000:], p.stderr[-3000:])
    # "making ..." appears only when the demo model is not cached yet.
    got = "\n".join(l for l in p.stdout.splitlines() if not l.startswith("making ")).strip("\n")
    readme = (REPO / "README.md").read_text()
    start = readme.index("<!-- DEMO:START -->\n```\n") + len("<!-- DEMO:START -->\n```\n")
    want = readme[start:readme.index("\n```\n<!-- DEMO:END -->")]
    if got != want:
        gl, wl = got.splitlines(), want.splitlines()
        for i, (g, w) in enumerate(zip(gl, wl)):
            if g != w:
                raise AssertionError("README walkthrough differs from the demo at line %d:\n README: %s\n   demo: %s"
                                     % (i + 1, w, g))
        raise AssertionError("README walkthrough has %d lines, the demo prints %d" % (len(wl), len(gl)))
    assert "loads, predicts" in got and "FAILS" not in got
