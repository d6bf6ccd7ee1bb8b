"""`modelsurg cast` against Keras (the oracle), in the Keras that wrote each
source (tf_keras for k2, keras for k3).

For every fixture model and a few generated applications:
- OUT loads;
- every weight Keras loads equals numpy's astype of the source's weight to
  the cast dtype, bit for bit (compared as float64, NaN equal to NaN), and
  a BatchNormalization layer's weights (kept unless --all) equal the
  source's and sit in float32 variables;
- every layer (nested ones too, inputs aside) has the policy asked for;
  BatchNormalization, without --all, in Keras 3 the mixed one (float32
  variables) and in tf_keras the one asked for (tf_keras keeps a float16
  batch norm's variables float32 itself);
- modelsurg summary gives Keras's parameter totals for OUT;
- OUT predicts what the source predicts within TOLERANCE, relative to the
  largest prediction: float16 keeps 11 significant bits (relative rounding
  2**-11, about 4.9e-4 per operation), bfloat16 8 (2**-8, about 3.9e-3);
  the bounds leave room for the error to grow through a few dozen layers.
- for the applications, OUT is at most 55% of the source's size (float16
  weights are half the bytes; the config and the file's metadata remain).
"""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

import keras_report
from conftest import TESTDATA, batch_for, run_modelsurg
from test_verbs import app_path, load, run

TOLERANCE = {"float16": 2e-2, "bfloat16": 1e-1, "float32": 0.0}

BN = ("BatchNormalization", "SyncBatchNormalization")

# Fixtures whose models do not compute in a narrow policy in their Keras,
# each with the reason measured; cast writes them, but prediction is skipped.
CHANNELS_FIRST = "TensorFlow's CPU Conv2D has no NCHW kernel for float16 or bfloat16 (UnimplementedError)"
NO_PREDICT = {("k2", "layers_mix"): CHANNELS_FIRST, ("k3", "layers_mix"): CHANNELS_FIRST}

# Fixtures cast refuses with --policy float16, naming the layer; with
# --policy float32 (weights still stored float16) they are cast and checked.
REFUSED = {("k2", "tfops_multi"): 'layer "tf.math.subtract": its first operand is a constant'}


def layers_without_dtype(path):
    """Names of the layers whose config in the file writes no dtype (Keras
    builds them in its default policy; cast leaves them so)."""
    import h5py
    import zipfile

    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as z:
            cfg = json.loads(z.read("config.json"))
    else:
        with h5py.File(path, "r") as f:
            cfg = json.loads(keras_report._str(f.attrs["model_config"]))
    out = set()

    def walk(x):
        if isinstance(x, dict):
            c = x.get("config")
            if "class_name" in x and isinstance(c, dict) and "name" in c and "dtype" not in c:
                out.add(c["name"])
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(cfg)
    return out


def np_dtype(name):
    import ml_dtypes

    return {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "float32": np.float32}[name]


def fixtures():
    out = []
    for d in ("k2", "k3"):
        for p in sorted((TESTDATA / d).glob("*.h5")):
            if not keras_report.is_weights_only(str(p)):
                out.append((d, p.stem))
    return out


leaves = keras_report.leaves


def policy_name(layer):
    p = getattr(layer, "dtype_policy", None)
    return getattr(p, "name", str(p))


def as_f64(a):
    return np.asarray(a).astype("float64")


def same_values(a, b):
    a, b = as_f64(a), as_f64(b)
    return a.shape == b.shape and bool(np.all((a == b) | (np.isnan(a) & np.isnan(b))))


def cast_and_check(src, dialect, dtype, extra, tmp_path, predict=True):
    ext = ".keras" if dtype == "bfloat16" or src.endswith(".keras") else ".h5"
    out = str(tmp_path / ("out" + ext))
    p = run_modelsurg("cast", src, "--dtype", dtype, *extra, "-o", out)
    assert p.returncode == 0, "cast: exit %d\n%s" % (p.returncode, p.stderr.decode())
    k = "2" if dialect == "k2" else "3"
    m, got = load(src, dialect), load(out, dialect)
    everything = "--all" in extra
    policy = extra[extra.index("--policy") + 1] if "--policy" in extra else dtype
    want_layers = dict(leaves(m))
    no_dtype = layers_without_dtype(src)
    for path, gl in leaves(got):
        sl = want_layers[path]
        if gl.__class__.__name__ == "InputLayer":
            continue
        bn = gl.__class__.__name__ in BN and not everything and dtype != "float32"
        want_policy = policy if gl.name not in no_dtype else "float32"
        if bn and k == "3" and not policy.startswith("mixed_") and policy != "float32":
            want_policy = "mixed_" + policy
        assert policy_name(gl) == want_policy, "%s: policy %s, want %s" % (path, policy_name(gl), want_policy)
        for gw, sw in zip(gl.weights, sl.weights):
            g, s = np.asarray(gw), np.asarray(sw)
            if bn:
                assert g.dtype == np.float32 and g.tobytes() == s.tobytes(), "%s: batch norm weight %s changed" % (path, gw.name)
            elif s.dtype in (np.float32, np.float16):
                want = s.astype(np_dtype(dtype))
                assert same_values(g, want), "%s: weight %s is not numpy's astype(%s) (max abs diff %g)" % (
                    path, gw.name, dtype, float(np.nanmax(np.abs(as_f64(g) - as_f64(want)))))
            else:
                assert g.tobytes() == s.tobytes(), "%s: %s weight %s changed" % (path, s.dtype, gw.name)
        assert len(gl.weights) == len(sl.weights), path
    summary = json.loads(run_modelsurg("summary", out, "--format", "json", check=True).stdout)
    report = keras_report.report_model(got)
    for key in ("total_params", "trainable_params", "non_trainable_params"):
        assert summary[key] == report[key], key
    if predict:
        x = batch_for(m)
        want, have = run(m, x), run(got, x)
        for a, b in zip(have, want):
            scale = 1 + float(np.max(np.abs(b)))
            diff = float(np.max(np.abs(as_f64(a) - as_f64(b))))
            assert diff <= TOLERANCE[dtype] * scale, "predictions differ by %g (scale %g)" % (diff, scale)
    return out


@pytest.mark.parametrize("dialect,name", fixtures(), ids=["%s/%s" % c for c in fixtures()])
def test_cast_fixture(dialect, name, tmp_path):
    src = str(TESTDATA / dialect / (name + ".h5"))
    extra = []
    if (dialect, name) in REFUSED:
        p = run_modelsurg("cast", src, "--dtype", "float16", "-o", str(tmp_path / "no.h5"))
        assert p.returncode == 1 and REFUSED[(dialect, name)] in p.stderr.decode(), p.stderr.decode()
        assert not os.path.exists(tmp_path / "no.h5")
        extra = ["--policy", "float32"]
    cast_and_check(src, dialect, "float16", extra, tmp_path, predict=(dialect, name) not in NO_PREDICT)


VARIANTS = [
    ("k2", "nested", "float16", ["--policy", "mixed_float16"]),
    ("k3", "nested", "float16", ["--policy", "mixed_float16"]),
    ("k2", "nested", "float16", ["--all"]),
    ("k3", "nested", "float16", ["--all"]),
    ("k3", "nested", "bfloat16", []),
    ("k3", "branches", "bfloat16", ["--policy", "mixed_bfloat16"]),
    ("k2", "sequential_cnn", "float32", []),
]


@pytest.mark.parametrize("dialect,name,dtype,extra", VARIANTS, ids=["%s/%s:%s%s" % (c[0], c[1], c[2], "".join(c[3])) for c in VARIANTS])
def test_cast_variants(dialect, name, dtype, extra, tmp_path):
    cast_and_check(str(TESTDATA / dialect / (name + ".h5")), dialect, dtype, extra, tmp_path)


def test_cast_back_to_float32(tmp_path):
    """float16 then float32: Keras loads the float16 values widened, and
    predicts bit for bit what the source predicts with those values."""
    src = str(TESTDATA / "k3" / "branches.h5")
    half = str(tmp_path / "half.h5")
    run_modelsurg("cast", src, "--dtype", "float16", "-o", half, check=True)
    back = cast_and_check(half, "k3", "float32", [], tmp_path, predict=False)
    m, got = load(src, "k3"), load(back, "k3")
    for l in m.layers:
        l.set_weights([w.astype(np.float16).astype(np.float32) for w in l.get_weights()])
    x = batch_for(m)
    for a, b in zip(run(got, x), run(m, x)):
        assert a.tobytes() == b.tobytes()


def keras_fixtures():
    return sorted(p.stem for p in (TESTDATA / "k3").glob("*.keras"))


@pytest.mark.parametrize("name", keras_fixtures())
def test_cast_keras_archive(name, tmp_path):
    """A .keras source, cast into a .keras archive."""
    cast_and_check(str(TESTDATA / "k3" / (name + ".keras")), "k3", "float16", [], tmp_path,
                   predict=("k3", name) not in NO_PREDICT)


APPS = [
    ("k2", "resnet50", "float16", []),
    ("k3", "mobilenetv2", "bfloat16", []),
]


@pytest.mark.parametrize("dialect,app,dtype,extra", APPS, ids=["%s/%s:%s" % c[:3] for c in APPS])
def test_cast_apps(request, dialect, app, dtype, extra, tmp_path):
    src = app_path(request, dialect, app)
    out = cast_and_check(src, dialect, dtype, extra, tmp_path)
    assert os.path.getsize(out) <= 0.55 * os.path.getsize(src), "%d bytes from %d" % (os.path.getsize(out), os.path.getsize(src))
