"""Interop suite: bin/modelsurg checked against real Keras (the oracle).

Run from the repository root with `make interop` (builds bin/modelsurg first),
i.e. `.venv/bin/python -m pytest -q tests/interop`.

Cases (the `case` parameter of every test):
- fixtures: every testdata/{k2,k3}/*.h5 (written by testdata/gen_fixtures.py);
- apps: large keras.applications models with random weights, generated on
  first use into the git-ignored cache .cache/apps/{k2,k3}/NAME.h5 by
  gen_apps.py (both dialects in parallel subprocesses; only missing files).
  `--apps none` leaves them out, `--apps resnet50,vgg16` picks some.

Both Kerases run in this one process (tf_keras and keras, TensorFlow backend).
Each source file is loaded at most once per Keras per session (Oracle caches
its report, predictions and summary text, then drops the model).

The modelsurg binary is bin/modelsurg (override: MODELSURG_BIN). If it is
missing the tests that need it FAIL (never skip): run `make build`.

Notes the Go side depends on (measured with the pinned versions):
- model.layers of a Functional model includes its InputLayers (both Kerases);
  a Sequential model's does not. Layer order after load_model is Keras's own,
  which is not "inputs first" (e.g. shared: in_a, shared_dense, in_b, ...).
- In memory, a nested model's first call is node 0 in both Kerases, and that
  is what Keras's summary prints ("inner[0][0]"); tf-keras *files* store
  inbound references to a nested Functional/Sequential with node index + 1
  ("inner", 1, 0), Keras 3 files store the raw index.
"""

import hashlib
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # channels_first Conv2D on this CPU (layers_mix)
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ["COLUMNS"] = "200"  # Keras 3 sizes model.summary() by the terminal

import pytest  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TESTDATA = REPO / "testdata"
APPS_DIR = REPO / ".cache" / "apps"
BIN = Path(os.environ.get("MODELSURG_BIN") or (REPO / "bin" / "modelsurg"))
DIALECTS = ("k2", "k3")

sys.path.insert(0, str(HERE))
import gen_apps  # noqa: E402
import keras_report  # noqa: E402

# Fixtures whose predictions cannot be computed on this CPU-only TensorFlow
# ((dialect, name) -> reason); the prediction comparison is skipped for them,
# every other check still runs. Empty: TF 2.21 CPU runs the channels_first
# Conv2D of layers_mix in both Kerases (see testdata/FIXTURES.md).
PREDICT_SKIP = {}

# None dimensions of model inputs become this size in the prediction batch.
NONE_DIM = 32
BATCH = 2

TIMINGS = []  # (what, seconds), printed at the end of the session


def timed(what):
    class _T:
        def __enter__(self):
            self.t0 = time.time()

        def __exit__(self, *a):
            TIMINGS.append((what, time.time() - self.t0))

    return _T()


# --------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    kind: str  # "fixture" | "app"
    dialect: str  # "k2" | "k3": the Keras that wrote the file
    name: str

    @property
    def id(self):
        return ("%s/%s" if self.kind == "fixture" else "apps/%s/%s") % (self.dialect, self.name)

    @property
    def path(self):
        if self.kind == "fixture":
            return TESTDATA / self.dialect / (self.name + ".h5")
        return APPS_DIR / self.dialect / (self.name + ".h5")

    @property
    def keras(self):
        """The Keras that wrote it: "2" or "3"."""
        return "2" if self.dialect == "k2" else "3"

    @property
    def other_keras(self):
        return "3" if self.dialect == "k2" else "2"

    @property
    def weights_only(self):
        return keras_report.is_weights_only(str(self.path))


def fixture_cases():
    out = []
    for d in DIALECTS:
        for p in sorted((TESTDATA / d).glob("*.h5")):
            out.append(Case("fixture", d, p.stem))
    return out


def app_names(config):
    opt = config.getoption("--apps")
    if opt in ("none", ""):
        return []
    if opt == "all":
        return list(gen_apps.DEFAULT_APPS)
    names = [x.strip() for x in opt.split(",") if x.strip()]
    for n in names:
        if n not in gen_apps.APPS:
            raise pytest.UsageError("--apps: unknown model %r (have %s)" % (n, ", ".join(gen_apps.APPS)))
    return names


def all_cases(config):
    return fixture_cases() + [Case("app", d, n) for d in DIALECTS for n in app_names(config)]


def pytest_addoption(parser):
    parser.addoption(
        "--apps",
        default="all",
        help="keras.applications models to include: all (default), none, or a comma list of %s"
        % ",".join(gen_apps.DEFAULT_APPS),
    )


def pytest_generate_tests(metafunc):
    if "case" in metafunc.fixturenames:
        cases = all_cases(metafunc.config)
        if getattr(metafunc.function, "fixtures_only", False):
            cases = [c for c in cases if c.kind == "fixture"]
        metafunc.parametrize("case", cases, ids=[c.id for c in cases])


def fixtures_only(fn):
    """Decorator: parametrize this test over the fixtures only."""
    fn.fixtures_only = True
    return fn


def pytest_collection_modifyitems(session, config, items):
    # Group by case, fixtures first, so that the Oracle's per-file work and the
    # strip outputs are reused while they are fresh.
    def key(item):
        cs = item.callspec.params.get("case") if hasattr(item, "callspec") else None
        if cs is None:
            return (0, "", "")
        return (0 if cs.kind == "fixture" else 1, cs.id, item.nodeid)

    items.sort(key=key)


# --------------------------------------------------------------------------
# App cache


class AppCache:
    """Generates missing .cache/apps/{k2,k3}/NAME.h5 on first use: one
    gen_apps.py subprocess per dialect, run in parallel."""

    def __init__(self, names):
        self.names = names
        self.done = False
        self.lock = threading.Lock()
        self.seconds = None

    def ensure(self):
        with self.lock:
            if self.done:
                return
            procs = []
            t0 = time.time()
            for d in DIALECTS:
                missing = [n for n in self.names if not (APPS_DIR / d / (n + ".h5")).exists()]
                if not missing:
                    continue
                cmd = [sys.executable, str(HERE / "gen_apps.py"), "--dialect", d, "--all",
                       "--models", ",".join(missing), "--out-dir", str(APPS_DIR / d)]
                procs.append((cmd, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
            for cmd, p in procs:
                out, err = p.communicate()
                if p.returncode != 0:
                    raise RuntimeError("app generation failed: %s\n%s" % (" ".join(cmd), err.decode()[-3000:]))
            if procs:
                self.seconds = time.time() - t0
                TIMINGS.append(("generate missing apps (%d dialect processes)" % len(procs), self.seconds))
            self.done = True


@pytest.fixture(scope="session")
def app_cache(request):
    return AppCache(app_names(request.config))


@pytest.fixture
def src(case, app_cache):
    """Path (str) of the case's source file, generating app models if needed."""
    if case.kind == "app":
        app_cache.ensure()
    p = case.path
    assert p.exists(), "%s: missing %s (run `make fixtures`)" % (case.id, p)
    return str(p)


# --------------------------------------------------------------------------
# Keras oracle


def batch_for(model):
    """Fixed random input batch: seeded numpy, shapes from model.inputs."""
    import numpy as np

    rng = np.random.default_rng(0)
    xs = []
    for t in model.inputs:
        shape = [BATCH] + [NONE_DIM if d is None else int(d) for d in tuple(t.shape)[1:]]
        xs.append(rng.standard_normal(shape).astype("float32"))  # every input here is float32
    return xs


def predict(model):
    import numpy as np
    import tensorflow as tf

    ys = model(batch_for(model), training=False)
    return [np.asarray(y) for y in tf.nest.flatten(ys)]


def summary_text(model):
    lines = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    text = "\n".join(lines)
    return text if text.endswith("\n") else text + "\n"


def _load_fixture_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_fixtures", TESTDATA / "gen_fixtures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class LoadError(Exception):
    pass


def root_cause(e, limit=300):
    """A Keras load error, shortened to its root cause."""
    s = str(e).strip()
    if "Exception encountered: " in s:  # "Error when deserializing class ... using config={...}"
        s = s.rsplit("Exception encountered: ", 1)[1]
    s = " ".join(s.split())
    return s if len(s) <= limit else s[:limit] + "..."


class Oracle:
    """Keras results per (file, Keras), cached for the session."""

    def __init__(self):
        self.cache = {}
        self._gen = None

    def _gen_fixtures(self):
        if self._gen is None:
            self._gen = _load_fixture_module()
        return self._gen

    def load(self, path, k, builder_name=None):
        """A Keras model for path in Keras k: load_model(compile=False), or for a
        weights-only file, that fixture's architecture built by gen_fixtures.py
        in Keras k plus load_weights(path)."""
        if builder_name is None:
            return keras_report.load(path, k)
        gen = self._gen_fixtures()
        K = keras_report.keras_module(k)
        gen.reset(K)
        m = gen.FIXTURES[builder_name][0](K)
        m.load_weights(path)
        return m

    def analyze(self, path, k, builder_name=None, want_report=True, cache=True):
        """{"report", "preds", "summary"} for path loaded in Keras k; raises
        LoadError if that Keras cannot load it."""
        path = str(path)
        st = os.stat(path)
        key = (os.path.realpath(path), st.st_mtime_ns, st.st_size, str(k))
        if cache and key in self.cache:
            r = self.cache[key]
            if isinstance(r, LoadError):
                raise r
            return r
        with timed("keras %s load+report+predict %s" % (k, os.path.basename(path))):
            try:
                m = self.load(path, k, builder_name)
            except Exception as e:  # noqa: BLE001
                err = LoadError("Keras %s cannot load %s: %s: %s" % (k, path, type(e).__name__, root_cause(e)))
                if cache:
                    self.cache[key] = err
                raise err
            r = {
                "report": keras_report.report_model(m) if want_report and builder_name is None else None,
                "preds": predict(m),
                "summary": summary_text(m) if want_report and builder_name is None else None,
            }
        del m
        if cache:
            self.cache[key] = r
        return r


@pytest.fixture(scope="session")
def oracle():
    return Oracle()


# --------------------------------------------------------------------------
# modelsurg


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def run_modelsurg(*args, timeout=600, check=False):
    """Run bin/modelsurg; fails the calling test (not skip) if it is missing."""
    if not BIN.exists():
        pytest.fail("modelsurg binary not found at %s: run `make build` first" % BIN, pytrace=False)
    cmd = [str(BIN)] + [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if check and p.returncode != 0:
        pytest.fail(
            "%s exited %d\nstderr:\n%s" % (" ".join(cmd), p.returncode, p.stderr.decode(errors="replace")[-4000:]),
            pytrace=False,
        )
    return p


class Stripped:
    """Runs `modelsurg strip SRC -o OUT [--all]` once per (case, variant)."""

    def __init__(self, root):
        self.root = Path(root)
        self.outs = {}

    def get(self, case, src, all_=False):
        key = (case.id, all_)
        if key not in self.outs:
            out = self.root / ("%s_%s%s.h5" % (case.dialect, case.name, ".all" if all_ else ""))
            if case.kind == "app":
                out = self.root / ("app_%s_%s%s.h5" % (case.dialect, case.name, ".all" if all_ else ""))
            args = ["strip", src, "-o", out] + (["--all"] if all_ else [])
            before = sha256(src)
            with timed("modelsurg strip%s %s" % (" --all" if all_ else "", case.id)):
                run_modelsurg(*args, check=True)
            assert sha256(src) == before, "%s: strip modified its input %s" % (case.id, src)
            assert out.exists(), "%s: strip exited 0 but wrote no %s" % (case.id, out)
            self.outs[key] = str(out)
        return self.outs[key]

    def drop(self, case, all_=False):
        p = self.outs.pop((case.id, all_), None)
        if p and os.path.exists(p):
            os.remove(p)


@pytest.fixture(scope="session")
def stripped(tmp_path_factory):
    s = Stripped(tmp_path_factory.mktemp("strip"))
    yield s
    for p in list(s.outs.values()):
        if os.path.exists(p):
            os.remove(p)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TIMINGS:
        return
    tr = terminalreporter
    tr.section("interop timings (slowest 15)")
    for what, s in sorted(TIMINGS, key=lambda x: -x[1])[:15]:
        tr.write_line("%7.1fs  %s" % (s, what))
    tot = {}
    for what, s in TIMINGS:
        k = what.split(" ")[0] + " " + what.split(" ")[1]
        tot[k] = tot.get(k, 0) + s
    for k, s in sorted(tot.items()):
        tr.write_line("%7.1fs  total %s" % (s, k))
